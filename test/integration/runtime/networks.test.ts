/**
 * Isolation by default and networks apps meet on: app B's one-off cannot reach app A's web
 * container by IP; once an admin makes a network and both apps join it, B reaches A by Dokku's
 * alias `A.web`. On the compiled binary against the real engine; two apps, one image.
 */
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, makeRoot, removeRoots, requireDist, run as runCli } from '../../helpers/cli.ts';
import { deployImageApp, expectOk } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { commitAppImage } from '../../helpers/test-image.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const root = makeRoot('dokku-net-');
const a = uniqueName('it-neta');
const b = uniqueName('it-netb');
const shared = uniqueName('it-shared');
const dokku = (...words: string[]) => runCli(compiled, root, words);
const image = `dokku-test/it-net:${Math.random().toString(36).slice(2, 8)}`;
let docker: Docker;

const ipOf = async (name: string) => Object.values((await docker.getContainer(name).inspect()).NetworkSettings.Networks ?? {})[0]!.IPAddress;
/** B fetches a URL from a one-off: the output, or the failure. */
const fetchFromB = (url: string) => dokku('run', b, 'timeout', '5', 'wget', '-q', '-O', '-', url);

beforeAll(async () => {
  requireDist();
  docker = await connectDocker();
  await commitAppImage(docker, image, 'mkdir -p /www /app && echo "hello from $0" > /www/index.html && echo "web: httpd -f -p \\$PORT -h /www" > /app/Procfile');
  for (const app of [a, b]) {
    await deployImageApp(dokku, app, image);
  }
}, 600_000);

afterAll(async () => {
  for (const app of [a, b]) await dokku('apps:destroy', app, '--force');
  await dokku('network:destroy', shared, '--force');
  await docker?.getImage(image).remove({ force: true }).catch(() => undefined);
  removeRoots();
}, 120_000);

describe('networks', () => {
  it('runs each app on a network of its own: B cannot reach A by IP', async () => {
    const info = await docker.getContainer(`${a}.web.1`).inspect();
    expect(Object.keys(info.NetworkSettings.Networks ?? {})).toEqual([`dokku.app.${a}`]);
    const r = await fetchFromB(`http://${await ipOf(`${a}.web.1`)}:5000/`);
    expect(r.code).not.toBe(0);
    // A's own one-off reaches it: the app's network is the app's.
    const own = await dokku('run', a, 'timeout', '5', 'wget', '-q', '-O', '-', `http://${await ipOf(`${a}.web.1`)}:5000/`);
    expect([own.code, own.stdout.trim()], own.stderr).toEqual([0, 'hello from /bin/sh']);
  });

  it('after both join a network an admin made, B reaches A by its alias', async () => {
    expectOk(await dokku('network:create', shared), 'network:create');
    expect((await dokku('network:exists', shared)).code).toBe(0);
    expectOk(await dokku('network:set', a, 'attach-post-create', shared), 'network:set a');
    expectOk(await dokku('network:set', b, 'attach-post-deploy', shared), 'network:set b');
    expectOk(await dokku('ps:restart', a), 'ps:restart a');
    expectOk(await dokku('ps:restart', b), 'ps:restart b');
    const aliases = (await docker.getContainer(`${a}.web.1`).inspect()).NetworkSettings.Networks?.[shared]?.Aliases ?? [];
    expect(aliases).toEqual(expect.arrayContaining([`${a}.web`, `${a}.web.1`]));
    const r = await fetchFromB(`http://${a}.web:5000/`);
    expect([r.code, r.stdout.trim()], r.stderr).toEqual([0, 'hello from /bin/sh']);
    const info = JSON.parse((await dokku('network:info', shared, '--format', 'json')).stdout) as { apps: string[]; containers: string[] };
    expect(info.apps.sort()).toEqual([a, b].sort());
    expect(info.containers).toContain(`${a}.web.1`);
    const report = JSON.parse((await dokku('network:report', a, '--format', 'json')).stdout) as Record<string, string>;
    expect(report['network-attach-post-create']).toBe(shared);
  });

  it('refuses to destroy a network an app is set to use', async () => {
    const r = await dokku('network:destroy', shared);
    expect([r.code, r.stderr]).toEqual([1, expect.stringContaining('is set for')]);
  });
});
