/**
 * An app's own nginx.conf.sigil through a real nginx, one app: a template that adds a response
 * header serves it; a template nginx refuses, and one the template policy refuses, each fail the
 * deploy while the previous release keeps serving; disable-custom-config turns it off; and
 * nginx:stop, nginx:start and nginx:reload drive the test's nginx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, makeRoot, removeRoots, requireDist, run } from '../../helpers/cli.ts';
import { expectOk } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { eventually, requireNginx, startNginx, type TestNginx } from '../../helpers/nginx.ts';
import { viaNginx, webAppSource } from './helpers.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const nginxBin = requireNginx();

const template = (header: string, extra = '') => `
server {
  listen {{ .NGINX_BIND_ADDRESS_IPV4 }}:{{ .PROXY_PORT }};
  server_name {{ .NOSSL_SERVER_NAME }};
  add_header X-Template "${header} {{ .APP }}" always;
  ${extra}
  location / {
    proxy_pass http://{{ .UPSTREAM }};
    proxy_http_version 1.1;
    proxy_set_header Host $http_host;
  }
}
`;

describe('custom nginx template', () => {
  const root = makeRoot('dokku-nginx-template-');
  const app = uniqueName('tpl');
  const host = `${app}.test`;
  let nginx: TestNginx;
  const sources: Record<'good' | 'second' | 'broken' | 'hostile', string> = { good: '', second: '', broken: '', hostile: '' };
  const dokku = (...words: string[]) => run(compiled, root, words, { env: nginx.env });
  const ok = async (...words: string[]) => {
    const r = await dokku(...words);
    expectOk(r, words.join(' '));
    return r;
  };
  const get = () => viaNginx(nginx.httpPort, host);

  beforeAll(async () => {
    requireDist();
    const docker = await connectDocker();
    nginx = await startNginx(nginxBin);
    sources.good = await webAppSource(docker!, { files: { 'nginx.conf.sigil': template('from-template') } });
    sources.second = await webAppSource(docker!, { files: { 'nginx.conf.sigil': template('second') } });
    // Passes the template policy, but nginx refuses `gzip maybe`.
    sources.broken = await webAppSource(docker!, { files: { 'nginx.conf.sigil': template('broken', 'gzip maybe;') } });
    sources.hostile = await webAppSource(docker!, { files: { 'nginx.conf.sigil': template('hostile', 'location /x { alias /etc/; }') } });
    await ok('apps:create', app);
    await ok('domains:add', app, host);
    await ok('checks:set', app, 'wait', '0');
    await ok('checks:set', app, 'wait-to-retire', '1');
    await ok('config:set', app, 'MESSAGE=hello', '--no-restart');
  }, 300_000);

  afterAll(async () => {
    await dokku('apps:destroy', app, '--force');
    nginx?.stop();
    removeRoots();
  }, 120_000);

  it('a template that adds a response header is what nginx serves', async () => {
    await ok('git:from-archive', app, sources.good);
    const r = await get();
    expect(r.status).toBe(200);
    expect(r.body).toBe('hello v1\n');
    expect(r.headers['x-template']).toBe(`from-template ${app}`);
    const conf = (await ok('nginx:show-config', app)).stdout;
    expect(conf).toContain("# from the app's nginx.conf.sigil");
    expect(conf).toContain(`add_header X-Template "from-template ${app}" always;`);
  }, 180_000);

  it('a template nginx refuses fails the deploy, and the previous one keeps serving', async () => {
    const r = await dokku('git:from-archive', app, sources.broken);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nginx refused the new configuration');
    expect(r.stderr).toMatch(/invalid value "maybe"/);
    const served = await get();
    expect(served.body).toBe('hello v1\n');
    expect(served.headers['x-template']).toBe(`from-template ${app}`);
    expect((await ok('nginx:show-config', app)).stdout).not.toContain('gzip maybe');
  }, 180_000);

  it('a template reading a server directory is refused before nginx sees it', async () => {
    const r = await dokku('git:from-archive', app, sources.hostile);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("directive alias is not allowed in an app's template");
    expect((await get()).headers['x-template']).toBe(`from-template ${app}`);
    expect((await viaNginx(nginx.httpPort, host, '/x/passwd')).body).not.toContain('root:');
  }, 180_000);

  it('disable-custom-config true ignores the template; false brings it back', async () => {
    await ok('nginx:set', app, 'disable-custom-config', 'true');
    await eventually(async () => expect((await get()).headers['x-template']).toBeUndefined());
    expect((await get()).body).toBe('hello v1\n');
    await ok('nginx:set', app, 'disable-custom-config', 'false');
    await eventually(async () => expect((await get()).headers['x-template']).toBe(`from-template ${app}`));
  }, 60_000);

  it('a rollback routes with the template its release deployed with', async () => {
    await ok('git:from-archive', app, sources.second);
    expect((await get()).headers['x-template']).toBe(`second ${app}`);
    expect((await ok('releases:diff', app, 'v1', 'v4')).stdout).toContain('~ nginx.conf.sigil');
    await ok('rollback', app, 'v1');
    const r = await get();
    expect(r.headers['x-template']).toBe(`from-template ${app}`);
    expect(r.body).toBe('hello v5\n');
  }, 180_000);

  it('nginx:stop stops the server, nginx:start starts it, nginx:reload reloads it', async () => {
    expect((await ok('nginx:stop')).stdout).toBe('-----> Stopping nginx\n');
    await eventually(async () => expect(await get().then(() => 'up', () => 'down')).toBe('down'), 10_000);
    expect((await ok('nginx:start')).stdout).toBe('-----> Starting nginx\n');
    await eventually(async () => expect((await get()).headers['x-template']).toBe(`from-template ${app}`), 10_000);
    expect((await ok('nginx:reload')).stdout).toBe('-----> Reloading nginx\n');
    await eventually(async () => expect((await get()).status).toBe(200), 10_000);
  }, 60_000);
});
