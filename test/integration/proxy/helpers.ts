/** What the proxy suites share: a tiny web app built offline, and requests sent to nginx by Host. */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { tarOf } from '../../helpers/deploy.ts';
import { ensureTestImage } from '../../helpers/test-image.ts';

/**
 * A Dockerfile app on the offline busybox image: `/` says $MESSAGE and the release, and
 * `/cgi-bin/env` prints the request headers the app received.
 */
export async function webAppSource(docker: Docker, opts: { expose?: number; files?: Record<string, string> } = {}): Promise<string> {
  const image = await ensureTestImage(docker);
  const dir = mkdtempSync(join(tmpdir(), 'dokku-proxy-src-'));
  writeFileSync(
    join(dir, 'Dockerfile'),
    [
      `FROM ${image}`,
      'COPY www /www',
      `EXPOSE ${opts.expose ?? 5000}`,
      'CMD ["/bin/sh", "-c", "echo \\"$MESSAGE $DOKKU_RELEASE_VERSION\\" > /www/index.html && exec httpd -f -p \\"$PORT\\" -h /www"]',
      '',
    ].join('\n'),
  );
  mkdirSync(join(dir, 'www/cgi-bin'), { recursive: true });
  writeFileSync(join(dir, 'www/cgi-bin/env'), '#!/bin/sh\necho "Content-Type: text/plain"\necho\nenv | grep ^HTTP_ | sort\n');
  chmodSync(join(dir, 'www/cgi-bin/env'), 0o755);
  for (const [path, text] of Object.entries(opts.files ?? {})) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const out = tarOf(dir);
  rmSync(dir, { recursive: true, force: true });
  return out;
}

export interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** GET through nginx with the given Host header, on a fresh connection. */
export function viaNginx(port: number, host: string, path = '/', timeoutMs = 5000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { Host: host }, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** curl over https to `host` at 127.0.0.1:port, trusting only `caFile`. */
export function curlHttps(host: string, port: number, caFile: string, path = '/'): { code: number; body: string; stderr: string } {
  const r = spawnSync('curl', ['-sS', '--max-time', '10', '--cacert', caFile, '--resolve', `${host}:${port}:127.0.0.1`, `https://${host}:${port}${path}`], { encoding: 'utf8' });
  return { code: r.status ?? 1, body: r.stdout, stderr: r.stderr };
}

/** A CA and a leaf certificate for `names`, signed by it (openssl), in a new directory. */
export function makeCa(names: string[], days = 30): { dir: string; ca: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dokku-ca-'));
  const p = (f: string) => join(dir, f);
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
  };
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '30', '-subj', '/CN=dokku test CA']);
  run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', `/CN=${names[0]}`]);
  const san = names.map((n) => (/^[\d.]+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  writeFileSync(p('ext.cnf'), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  run(['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('server.crt'), '-days', String(days), '-extfile', p('ext.cnf')]);
  return { dir, ca: p('ca.pem'), cert: p('server.crt'), key: p('server.key') };
}
