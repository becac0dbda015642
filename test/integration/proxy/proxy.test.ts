/**
 * Routing through a real nginx: apps deployed by the real pipeline (Dockerfile builds on an offline
 * busybox image), vhosts written by dokku, every change checked with `nginx -t` and reloaded.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, makeRoot, removeRoots, requireDist, run, withDb, type RunResult } from '../../helpers/cli.ts';
import { expectOk } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { eventually, requireNginx, startNginx, type TestNginx } from '../../helpers/nginx.ts';
import { curlHttps, makeCa, viaNginx, webAppSource } from './helpers.ts';

const node = TARGETS.find((t) => t.name === 'node')!;
const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const nginxBin = requireNginx();

describe('routing through nginx', () => {
  const root = makeRoot('dokku-proxy-');
  let nginx: TestNginx;
  let source: string;
  let exposeSource: string;
  const apps: string[] = [];
  const [a, b, c] = [uniqueName('px-a'), uniqueName('px-b'), uniqueName('px-c')];
  const dokku = (...words: string[]) => run(node, root, words, { env: nginx.env });
  const dokkuBin = (...words: string[]) => run(compiled, root, words, { env: nginx.env });
  const ok = async (...words: string[]) => {
    const r = await dokku(...words);
    expectOk(r, words.join(' '));
    return r;
  };
  const get = (host: string, path = '/') => viaNginx(nginx.httpPort, host, path);

  beforeAll(async () => {
    requireDist();
    const docker = await connectDocker();
    nginx = await startNginx(nginxBin);
    source = await webAppSource(docker!);
    exposeSource = await webAppSource(docker!, { expose: 7000 });
    for (const app of [a, b, c]) {
      apps.push(app);
      await ok('apps:create', app);
      await ok('checks:set', app, 'wait-to-retire', '1');
      await ok('checks:set', app, 'wait', '0');
    }
  }, 300_000);

  afterAll(async () => {
    for (const app of apps) await dokku('apps:destroy', app, '--force');
    nginx?.stop();
    removeRoots();
  }, 120_000);

  it('routes two apps by Host header, with forwarded headers, and ends the deploy with the URL', async () => {
    await ok('domains:add', a, `${a}.test`);
    await ok('domains:add', b, `${b}.test`, `www.${b}.test`);
    await ok('config:set', a, 'MESSAGE=hello-a', '--no-restart');
    await ok('config:set', b, 'MESSAGE=hello-b', '--no-restart');
    const deployed = await ok('git:from-archive', a, source);
    expect(deployed.stdout).toContain(`http://${a}.test:${nginx.httpPort}`);
    await ok('git:from-archive', b, source);

    expect((await eventually(() => get(`${a}.test`))).body).toBe('hello-a v1\n');
    expect((await get(`${b}.test`)).body).toBe('hello-b v1\n');
    expect((await get(`www.${b}.test`)).body).toBe('hello-b v1\n');

    const env = (await get(`${a}.test`, '/cgi-bin/env')).body;
    expect(env).toContain(`HTTP_X_FORWARDED_HOST=${a}.test`);
    expect(env).toContain('HTTP_X_FORWARDED_PROTO=http');
    expect(env).toContain(`HTTP_X_FORWARDED_PORT=${nginx.httpPort}`);
    expect(env).toContain('HTTP_X_FORWARDED_FOR=127.0.0.1');

    expect((await ok('urls', b)).stdout).toBe(`http://${b}.test:${nginx.httpPort}\nhttp://www.${b}.test:${nginx.httpPort}\n`);
    expect((await ok('url', a)).stdout).toBe(`http://${a}.test:${nginx.httpPort}\n`);
    const conf = (await ok('nginx:show-config', a)).stdout;
    expect(conf).toContain(`server_name ${a}.test;`);
    // Per-app logs: the request above landed in a's access log.
    expect(readFileSync(join(nginx.logDir, `${a}-access.log`), 'utf8')).toContain('GET /cgi-bin/env');
    expect((await ok('nginx:access-logs', a)).stdout).toContain('GET /cgi-bin/env');
  }, 300_000);

  it('refuses a domain another app owns, and names the owner', async () => {
    const r = await dokku('domains:add', c, `${a}.test`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Domain ${a}.test is already used by app ${a}`);
    const bad = await dokku('domains:add', c, 'not_a_host.test');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("Invalid domain 'not_a_host.test'");
    const ip = await dokku('domains:add', c, '10.0.0.1');
    expect(ip.stderr).toContain('an IP address is not a hostname');
  });

  it('a global domain gives every app <app>.<domain>, and a clash with it names the owner', async () => {
    await ok('domains:set-global', 'apps.test');
    expect((await eventually(() => get(`${a}.apps.test`).then((r) => (r.status === 200 ? r : Promise.reject(new Error(String(r.status))))))).body).toBe('hello-a v1\n');
    expect((await get(`${b}.apps.test`)).body).toBe('hello-b v1\n');
    const r = await dokku('domains:add', c, `${b}.apps.test`);
    expect(r.stderr).toContain(`already used by app ${b}`);
    const report = JSON.parse((await ok('domains:report', a, '--format', 'json')).stdout);
    expect(report['domains-effective']).toBe(`${a}.test ${a}.apps.test`);
    await ok('domains:clear-global');
    expect((await ok('urls', a)).stdout).toBe(`http://${a}.test:${nginx.httpPort}\n`);
  });

  it('an app with the longest valid name under a long global domain deploys and is served, the other apps too', async () => {
    // 63 characters, as a UUID-suffixed name reaches: past nginx's default server-name hash bucket.
    const long = `lg${Date.now().toString(36)}-0e4350b6-b6d5-438c-9e7a-06ff659f4a1b-b6d5-438c-9e7a-06ff`.slice(0, 62) + 'x';
    expect(long).toHaveLength(63);
    const domain = 'apps.a-rather-long-subdomain-of-the-platform.example.test';
    apps.push(long);
    await ok('apps:create', long);
    await ok('checks:set', long, 'wait', '0');
    await ok('domains:set-global', domain);
    try {
      const deployed = await ok('git:from-archive', long, source);
      expect(deployed.stdout).toContain(`http://${long}.${domain}:${nginx.httpPort}`);
      const r = await eventually(() => get(`${long}.${domain}`).then((x) => (x.status === 200 ? x : Promise.reject(new Error(String(x.status))))));
      expect(r.body).toBe(' v1\n');
      expect((await get(`${a}.test`)).body).toBe('hello-a v1\n');
    } finally {
      await ok('domains:clear-global');
      await dokku('apps:destroy', long, '--force');
    }
  }, 300_000);

  it('refuses an nginx setting nginx rejects, showing nginx\'s message, and keeps serving the old config', async () => {
    const before = (await ok('nginx:show-config', a)).stdout;
    const r = await dokku('nginx:set', a, 'client-max-body-size', '10X');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('nginx refused the new configuration');
    expect(r.stderr).toMatch(/"client_max_body_size" directive invalid value/);
    expect((await ok('nginx:show-config', a)).stdout).toBe(before);
    expect(JSON.parse((await ok('nginx:report', a, '--format', 'json')).stdout)['nginx-client-max-body-size']).toBe('1m (nginx default)');
    expect((await get(`${a}.test`)).body).toBe('hello-a v1\n');
    // A value nginx accepts goes through and lands in the vhost.
    await ok('nginx:set', a, 'client-max-body-size', '20m');
    expect((await ok('nginx:show-config', a)).stdout).toContain('client_max_body_size 20m;');
    const injection = await dokku('nginx:set', a, 'proxy-read-timeout', '1s; return 200');
    expect(injection.code).toBe(1);
    expect(injection.stderr).toContain('Invalid value for nginx proxy-read-timeout');
  });

  it('a deploy whose nginx check fails fails before the switch; the old containers keep serving', async () => {
    const broken = join(nginx.confDir, 'zz-broken.conf');
    writeFileSync(broken, 'this is not nginx;\n');
    try {
      const r = await dokku('config:set', a, 'MESSAGE=never-served');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('nginx refused the new configuration');
      expect(r.stderr).toContain('unknown directive "this"');
      expect((await get(`${a}.test`)).body).toBe('hello-a v1\n');
    } finally {
      rmSync(broken);
    }
    const events = JSON.parse((await ok('events', a, '--format', 'json')).stdout) as Array<{ type: string }>;
    expect(events.at(-1)!.type).toBe('DeployFailed');
    // With the configuration fixed, the next deploy switches as usual.
    await ok('config:set', a, 'MESSAGE=hello-again');
    expect((await get(`${a}.test`)).body).toBe('hello-again v3\n');
  }, 120_000);

  it('serves https with certs:add, redirecting http, with HSTS; certs:remove goes back to http', async () => {
    const ca = makeCa([`${b}.test`, `www.${b}.test`]);
    try {
      await ok('certs:add', b, ca.cert, ca.key);
      const https = await eventually(async () => {
        const r = curlHttps(`${b}.test`, nginx.httpsPort, ca.ca);
        if (r.code !== 0) throw new Error(r.stderr);
        return r;
      });
      expect(https.body).toBe('hello-b v1\n');
      const plain = await get(`${b}.test`, '/x?y=1');
      expect(plain.status).toBe(301);
      expect(plain.headers.location).toBe(`https://${b}.test:${nginx.httpsPort}/x?y=1`);
      const headers = JSON.parse((await ok('certs:report', b, '--format', 'json')).stdout);
      expect(headers).toMatchObject({ 'ssl-enabled': 'true', 'ssl-source': 'manual', 'ssl-hostnames': `${b}.test www.${b}.test`, 'ssl-domains-not-covered': '' });
      expect(Number(headers['ssl-expires-in-days'])).toBeGreaterThanOrEqual(29);
      expect((await ok('urls', b)).stdout).toBe(`https://${b}.test:${nginx.httpsPort}\nhttps://www.${b}.test:${nginx.httpsPort}\n`);
      expect((await ok('ports:list', b, '--format', 'json')).stdout).toContain(`"host_port": ${nginx.httpsPort}`);
      const env = curlHttps(`${b}.test`, nginx.httpsPort, ca.ca, '/cgi-bin/env').body;
      expect(env).toContain('HTTP_X_FORWARDED_PROTO=https');
      const head = (await import('node:child_process')).spawnSync('curl', ['-sSI', '--cacert', ca.ca, '--resolve', `${b}.test:${nginx.httpsPort}:127.0.0.1`, `https://${b}.test:${nginx.httpsPort}/`], { encoding: 'utf8' });
      expect(head.stdout).toMatch(/strict-transport-security: max-age=15724800; includeSubDomains/i);

      // A key that is not the certificate's is refused before anything changes.
      const other = makeCa([`${b}.test`]);
      const mismatch = await dokku('certs:add', b, ca.cert, other.key);
      rmSync(other.dir, { recursive: true, force: true });
      expect(mismatch.stderr).toContain('The private key does not belong to the certificate');

      await ok('certs:remove', b);
      expect((await eventually(async () => {
        const r = await get(`${b}.test`);
        if (r.status !== 200) throw new Error(String(r.status));
        return r;
      })).body).toBe('hello-b v1\n');
    } finally {
      rmSync(ca.dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('certs:generate makes a self-signed certificate nginx serves (compiled binary)', async () => {
    const r = await dokkuBin('certs:generate', b);
    expectOk(r, 'certs:generate');
    const report = JSON.parse((await dokkuBin('certs:report', b, '--format', 'json')).stdout);
    expect(report['ssl-source']).toBe('self-signed');
    expect(report['ssl-hostnames']).toBe(`${b}.test www.${b}.test`);
    // The certificate is its own trust anchor: curl trusting exactly that file reaches the app.
    const id = withDb(root, (db) => (db.prepare('SELECT id FROM apps WHERE name = ?').get(b) as { id: string }).id);
    const https = await eventually(async () => {
      const r = curlHttps(`${b}.test`, nginx.httpsPort, join(root, 'certs', id, 'server.crt'));
      if (r.code !== 0) throw new Error(r.stderr);
      return r;
    });
    expect(https.body).toBe('hello-b v1\n');
  });

  it('Dockerfile EXPOSE becomes the default port map; ports:set/clear change what nginx listens on', async () => {
    await ok('domains:add', c, `${c}.test`);
    await ok('config:set', c, 'MESSAGE=hello-c', '--no-restart');
    await ok('git:from-archive', c, exposeSource);
    expect(JSON.parse((await ok('ports:report', c, '--format', 'json')).stdout)).toMatchObject({ 'ports-map-detected': `http:${nginx.httpPort}:7000` });
    expect((await eventually(() => get(`${c}.test`).then((r) => (r.status === 200 ? r : Promise.reject(new Error(String(r.status))))))).body).toBe('hello-c v1\n');
    const { freePort } = await import('../../helpers/nginx.ts');
    const extra = await freePort();
    await ok('ports:add', c, `http:${extra}:7000`);
    expect((await eventually(() => viaNginx(extra, `${c}.test`))).body).toBe('hello-c v1\n');
    const wrong = await dokku('ports:add', c, 'tcp:1:2');
    expect(wrong.stderr).toContain('scheme must be http or https');
    await ok('ports:clear', c);
    await eventually(async () => {
      const r = await viaNginx(extra, `${c}.test`).catch((err: Error) => ({ status: 0, body: err.message }));
      if (r.status !== 0) throw new Error('still listening');
    });
  }, 120_000);

  it('ps:stop answers 503, ps:start serves again; rename moves the vhost; destroy removes it', async () => {
    await ok('ps:stop', c);
    expect((await eventually(async () => {
      const r = await get(`${c}.test`);
      if (r.status !== 503) throw new Error(String(r.status));
      return r;
    })).body).toContain('has no running web process');
    await ok('ps:start', c);
    expect((await eventually(() => get(`${c}.test`).then((r) => (r.status === 200 ? r : Promise.reject(new Error(String(r.status))))))).body).toBe('hello-c v1\n');

    const renamed = uniqueName('px-r');
    apps.push(renamed);
    await ok('apps:rename', c, renamed);
    expect(existsSync(join(root, c, 'nginx.conf'))).toBe(false);
    expect(readFileSync(join(root, renamed, 'nginx.conf'), 'utf8')).toContain(`server_name ${c}.test;`);
    expect((await eventually(() => get(`${c}.test`).then((r) => (r.status === 200 ? r : Promise.reject(new Error(String(r.status))))))).body).toBe('hello-c v1\n');

    await ok('apps:destroy', renamed, '--force');
    expect(existsSync(join(root, renamed, 'nginx.conf'))).toBe(false);
    const gone = await eventually(async () => {
      const r = await get(`${c}.test`);
      if (r.body.includes('hello-c')) throw new Error('still routed');
      return r;
    });
    expect(gone.body).not.toContain('hello-c');
  }, 180_000);

  it('proxy:disable takes the vhost away, proxy:enable brings it back; build-config --all rewrites everything', async () => {
    await ok('proxy:disable', a);
    expect(existsSync(join(root, a, 'nginx.conf'))).toBe(false);
    expect(JSON.parse((await ok('proxy:report', a, '--format', 'json')).stdout)).toMatchObject({ 'proxy-enabled': 'false', 'proxy-routed': 'false' });
    await ok('proxy:enable', a);
    expect(existsSync(join(root, a, 'nginx.conf'))).toBe(true);
    rmSync(join(root, a, 'nginx.conf'));
    expect((await ok('proxy:build-config', '--all')).stdout).toContain('Rebuilt nginx config');
    expect(existsSync(join(root, a, 'nginx.conf'))).toBe(true);
    expect((await eventually(() => get(`${a}.test`))).status).toBe(200);
    const events = (await ok('events', a)).stdout;
    expect(events).toContain(`Added domain ${a}.test`);
    expect(events).toContain('Set proxy disabled to true');
  });

  it('state:rebuild refolds domains, ports and certs to the same rows', async () => {
    const before = (await ok('domains:report', '--format', 'json')).stdout;
    await ok('state:rebuild');
    expect((await ok('domains:report', '--format', 'json')).stdout).toBe(before);
  });
});

export type { RunResult };
