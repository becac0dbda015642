/**
 * app.json's env, formation and scripts.postdeploy on one app deployed through the compiled binary:
 * a required key missing refuses the deploy before anything is switched; once set, the deploy
 * sets the default, scales as formation says, and runs scripts.postdeploy on that first deploy only.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, eventRows, makeRoot, removeRoots, requireDist, run } from '../../helpers/cli.ts';
import { expectOk, tarOf, upstreamOf } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { ensureTestImage } from '../../helpers/test-image.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;

describe('app.json env, formation and scripts.postdeploy (compiled binary)', () => {
  const root = makeRoot('dokku-appjson-');
  const app = uniqueName('aj');
  const dokku = (...words: string[]) => run(compiled, root, words);
  let tar = '';

  beforeAll(async () => {
    requireDist();
    const image = await ensureTestImage((await connectDocker())!);
    const dir = mkdtempSync(join(tmpdir(), 'dokku-appjson-src-'));
    const files: Record<string, string> = {
      Dockerfile: [`FROM ${image}`, 'COPY www /www', 'CMD ["/bin/sh", "-c", "exec httpd -f -p $PORT -h /www"]', ''].join('\n'),
      'www/index.html': 'app.json ok\n',
      Procfile: ['web: /bin/sh -c "exec httpd -f -p $PORT -h /www"', 'worker: /bin/sh -c "exec sleep 3600"', ''].join('\n'),
      'app.json': JSON.stringify({
        env: { GREETING: { value: 'hello', description: 'shown by the app' }, API_TOKEN: { required: true, description: 'set by hand' }, PLAIN: 'p' },
        formation: { web: { quantity: 1 }, worker: { quantity: 1 } },
        scripts: { postdeploy: 'echo "first-deploy-seed $GREETING"', dokku: { postdeploy: 'echo every-deploy' } },
      }),
    };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    tar = tarOf(dir);
    rmSync(dir, { recursive: true, force: true });
    expectOk(await dokku('apps:create', app), 'apps:create');
    expectOk(await dokku('checks:set', app, 'wait', '0'), 'checks:set');
  }, 120_000);

  afterAll(async () => {
    await dokku('apps:destroy', app, '--force');
    removeRoots();
  }, 120_000);

  it('refuses the deploy naming the missing required key, with nothing switched or released', async () => {
    const r = await dokku('git:from-archive', app, tar);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(' !     Missing required config vars from app.json: API_TOKEN (set them with config:set, then deploy again)');
    expect(upstreamOf(root, app)).toBeUndefined();
    const types = eventRows(root).map((e) => e.type);
    expect(types).not.toContain('ReleaseCreated');
    expect(types).not.toContain('DeployStarted');
    expect((await dokku('config:keys', app)).stdout).not.toContain('GREETING');
  }, 300_000);

  it('after config:set the deploy works: defaults in config and the release, formation applied, postdeploy once', async () => {
    expectOk(await dokku('config:set', app, 'API_TOKEN=secret'), 'config:set');
    const first = await dokku('git:from-archive', app, tar);
    expectOk(first, 'first deploy');
    expect(first.stdout).toContain('first-deploy-seed hello');
    expect(first.stdout).toContain('every-deploy');
    expect((await dokku('config:get', app, 'GREETING')).stdout).toBe('hello\n');
    expect((await dokku('config:get', app, 'PLAIN')).stdout).toBe('p\n');
    expect((await dokku('ps:report', app, '--formation')).stdout).toBe('web=1 worker=1\n');
    expect((await dokku('ps:report', app, '--ps-can-scale')).stdout).toBe('false\n');
    const ps = await dokku('ps:report', app);
    expect(ps.stdout).toMatch(/Status worker 1:\s+running/);
    const res = await fetch(`${upstreamOf(root, app)}/index.html`, { signal: AbortSignal.timeout(5000) });
    expect(await res.text()).toBe('app.json ok\n');
    // The defaults are an event of their own, appended with the release that first carries them.
    const events = eventRows(root);
    const released = events.findIndex((e) => e.type === 'ReleaseCreated');
    expect(events[released - 1]!.type).toBe('ConfigSet');
    expect(JSON.parse(events[released - 1]!.data).vars).toEqual({ GREETING: 'hello', PLAIN: 'p' });
    expect(JSON.parse(events[released]!.data).config).toMatchObject({ API_TOKEN: 'secret', GREETING: 'hello', PLAIN: 'p' });
    const refused = await dokku('ps:scale', app, 'worker=2');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('worker is scaled by the formation key in app.json');

    const second = await dokku('git:from-archive', app, tar);
    expectOk(second, 'second deploy');
    expect(second.stdout).not.toContain('first-deploy-seed');
    expect(second.stdout).toContain('every-deploy');
  }, 600_000);
});
