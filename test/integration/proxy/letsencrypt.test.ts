/**
 * Let's Encrypt end to end against pebble (a test ACME server) on loopback: pebble resolves the
 * test domains to 127.0.0.1 through pebble-challtestsrv and validates HTTP-01 through the test's
 * nginx. Certificates are issued valid for 10 days, so auto-renew (30-day grace) renews them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, makeRoot, removeRoots, requireDist, run } from '../../helpers/cli.ts';
import { expectOk } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { freePort, requireNginx, startNginx, type TestNginx } from '../../helpers/nginx.ts';
import { curlHttps, makeCa, viaNginx, webAppSource } from './helpers.ts';

const PEBBLE = '/usr/bin/pebble';
const CHALLTESTSRV = '/usr/bin/pebble-challtestsrv';
const nginxBin = requireNginx();
const havePebble = existsSync(PEBBLE) && existsSync(CHALLTESTSRV);
if (!havePebble) throw new Error('pebble is not installed: the ACME tests need it (apt-get install pebble)');

async function waitForPort(port: number, child: ChildProcess, what: string): Promise<void> {
  const { connect } = await import('node:net');
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`${what} exited ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not listen on ${port}`);
}

describe("Let's Encrypt through pebble", () => {
  const root = makeRoot('dokku-acme-');
  const node = TARGETS.find((t) => t.name === 'node')!;
  const compiled = TARGETS.find((t) => t.name === 'compiled')!;
  const app = uniqueName('le');
  const domain = `${app}.acme.test`;
  let nginx: TestNginx;
  let pebble: ChildProcess;
  let dns: ChildProcess;
  let ca: ReturnType<typeof makeCa>;
  let env: Record<string, string>;
  let mgmtPort: number;
  const dokku = (...words: string[]) => run(node, root, words, { env });
  const ok = async (...words: string[]) => {
    const r = await dokku(...words);
    expectOk(r, words.join(' '));
    return r;
  };
  const report = async () => JSON.parse((await ok('certs:report', app, '--format', 'json')).stdout) as Record<string, string>;

  /** The root that signs what pebble issues (it makes a new one each start), for curl to trust. */
  function issuedRoot(): string {
    const path = join(ca.dir, 'pebble-root.pem');
    const r = spawnSync('curl', ['-sS', '--cacert', ca.ca, `https://127.0.0.1:${mgmtPort}/roots/0`], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`pebble roots: ${r.stderr}`);
    writeFileSync(path, r.stdout);
    return path;
  }

  beforeAll(async () => {
    requireDist();
    const docker = await connectDocker();
    nginx = await startNginx(nginxBin);
    ca = makeCa(['localhost', '127.0.0.1']);
    const [acmePort, dnsPort, tlsPort] = [await freePort(), await freePort(), await freePort()];
    mgmtPort = await freePort();
    const mgmtDns = await freePort();
    dns = spawn(CHALLTESTSRV, ['-defaultIPv4', '127.0.0.1', '-defaultIPv6', '', '-dns01', `127.0.0.1:${dnsPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '', '-management', `127.0.0.1:${mgmtDns}`], { stdio: 'ignore' });
    const config = join(ca.dir, 'pebble.json');
    writeFileSync(config, JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${acmePort}`,
        managementListenAddress: `127.0.0.1:${mgmtPort}`,
        certificate: ca.cert,
        privateKey: ca.key,
        httpPort: nginx.httpPort,
        tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        certificateValidityPeriod: 10 * 86_400,
      },
    }));
    pebble = spawn(PEBBLE, ['-config', config, '-dnsserver', `127.0.0.1:${dnsPort}`], { stdio: 'ignore', env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0' } });
    await waitForPort(mgmtDns, dns, 'pebble-challtestsrv');
    await waitForPort(acmePort, pebble, 'pebble');
    env = { ...nginx.env, NODE_EXTRA_CA_CERTS: ca.ca };
    await ok('apps:create', app);
    await ok('checks:set', app, 'wait', '0');
    await ok('domains:add', app, domain);
    await ok('config:set', app, 'MESSAGE=secure', '--no-restart');
    await ok('git:from-archive', app, await webAppSource(docker!));
    await ok('letsencrypt:set', '--global', 'server', `https://127.0.0.1:${acmePort}/dir`);
  }, 300_000);

  afterAll(async () => {
    await dokku('apps:destroy', app, '--force');
    pebble?.kill();
    dns?.kill();
    nginx?.stop();
    if (ca) rmSync(ca.dir, { recursive: true, force: true });
    removeRoots();
  }, 120_000);

  it('refuses to start without an email', async () => {
    const r = await dokku('letsencrypt:enable', app);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Set an email first');
  });

  it('letsencrypt:enable gets a certificate from pebble over HTTP-01 and serves https with it', async () => {
    await ok('letsencrypt:set', '--global', 'email', 'ops@example.com');
    const r = await ok('letsencrypt:enable', app);
    expect(r.stdout).toContain(`Answering the HTTP-01 challenge for ${domain}`);
    const cert = await report();
    expect(cert).toMatchObject({ 'ssl-source': 'letsencrypt', 'ssl-hostnames': domain });
    expect(cert['ssl-issuer']).toMatch(/Pebble Intermediate/);
    expect(Number(cert['ssl-expires-in-days'])).toBeLessThanOrEqual(10);
    const https = curlHttps(domain, nginx.httpsPort, issuedRoot());
    expect(https.stderr).toBe('');
    expect(https.body).toBe('secure v1\n');
    expect((await viaNginx(nginx.httpPort, domain)).status).toBe(301);
    expect((await ok('letsencrypt:list')).stdout).toContain(app);
  }, 120_000);

  it('auto-renew leaves a certificate outside the grace period alone and renews one inside it (compiled binary)', async () => {
    const before = (await report())['ssl-fingerprint'];
    await ok('letsencrypt:set', '--global', 'graceperiod', String(5 * 86_400));
    const kept = await ok('letsencrypt:auto-renew');
    expect(kept.stdout).toContain('not renewing yet');
    expect((await report())['ssl-fingerprint']).toBe(before);

    await ok('letsencrypt:set', '--global', 'graceperiod');
    const renewed = await run(compiled, root, ['letsencrypt:auto-renew'], { env });
    expectOk(renewed, 'letsencrypt:auto-renew');
    expect(renewed.stdout).toContain('renewing');
    const after = (await report())['ssl-fingerprint'];
    expect(after).not.toBe(before);
    const https = curlHttps(domain, nginx.httpsPort, issuedRoot());
    expect(https.body).toBe('secure v1\n');
    const served = spawnSync('sh', ['-c', 'openssl s_client -connect 127.0.0.1:$0 -servername $1 </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256', String(nginx.httpsPort), domain], { encoding: 'utf8' }).stdout;
    expect(served.replace(/^.*=/, '').replace(/:/g, '').trim().toLowerCase()).toBe(after);
  }, 120_000);

  it('letsencrypt:revoke revokes at pebble and goes back to http', async () => {
    await ok('letsencrypt:revoke', app);
    expect((await report())['ssl-enabled']).toBe('false');
    const plain = await viaNginx(nginx.httpPort, domain);
    expect(plain.body).toBe('secure v1\n');
    expect((await ok('letsencrypt:list', '--format', 'json')).stdout).toBe('[]\n');
  }, 60_000);
});
