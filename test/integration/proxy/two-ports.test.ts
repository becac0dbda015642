/**
 * A Dockerfile that EXPOSEs 3000 and 3003, deployed once with no port mappings set: as in Dokku each
 * exposed port P is routed as http:P:P, so nginx answers on both host ports, each reaching the
 * container port of the same number (the fixture says which port a request reached).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, makeRoot, removeRoots, requireDist, run } from '../../helpers/cli.ts';
import { expectOk, FIXTURES, tarOf } from '../../helpers/deploy.ts';
import { uniqueName } from '../../helpers/docker.ts';
import { eventually, requireNginx, startNginx, type TestNginx } from '../../helpers/nginx.ts';
import { viaNginx } from './helpers.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const nginxBin = requireNginx();

describe('every EXPOSEd port routed', () => {
  const root = makeRoot('dokku-two-ports-');
  let nginx: TestNginx;
  const app = uniqueName('tp');
  const dokku = (...words: string[]) => run(compiled, root, words, { env: nginx.env });
  const ok = async (...words: string[]) => {
    const r = await dokku(...words);
    expectOk(r, words.join(' '));
    return r;
  };

  beforeAll(async () => {
    requireDist();
    nginx = await startNginx(nginxBin);
    await ok('apps:create', app);
    await ok('checks:set', app, 'wait', '1');
    await ok('checks:set', app, 'wait-to-retire', '0');
    await ok('domains:add', app, `${app}.test`);
    await ok('git:from-archive', app, tarOf(join(FIXTURES, 'two-ports')));
  }, 300_000);

  afterAll(async () => {
    await dokku('apps:destroy', app, '--force');
    nginx?.stop();
    removeRoots();
  }, 120_000);

  it('maps 3000 and 3003 to themselves and serves each through nginx', async () => {
    const list = (await ok('ports:list', app)).stdout;
    expect(list).toContain('    -----> http    3000       3000\n');
    expect(list).toContain('    -----> http    3003       3003\n');
    expect((await eventually(() => viaNginx(3000, `${app}.test`))).body).toBe('two-ports sample: port 3000\n');
    expect((await viaNginx(3003, `${app}.test`)).body).toBe('two-ports sample: port 3003\n');
    expect((await ok('urls', app)).stdout).toBe(`http://${app}.test:3000\nhttp://${app}.test:3003\n`);
  }, 60_000);

  it('a user mapping replaces the default; the second port stays published and routable', async () => {
    await ok('ports:set', app, 'http:3000:3003');
    expect((await eventually(async () => {
      const r = await viaNginx(3000, `${app}.test`);
      if (!r.body.includes('3003')) throw new Error(r.body);
      return r;
    })).body).toBe('two-ports sample: port 3003\n');
    await ok('ports:clear', app);
    expect((await eventually(() => viaNginx(3003, `${app}.test`))).body).toBe('two-ports sample: port 3003\n');
  }, 60_000);
});
