import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { UserError } from '../lib/errors.ts';
import { appStream, type CertInfo, type StoredEvent } from '../state/events.ts';
import { decideProxy, evolveProxy } from '../state/proxy-decider.ts';
import { proxyContext, proxyState } from '../state/proxy-queries.ts';
import { findAppById, requireApp } from '../state/queries.ts';
import type { FileChange } from '../proxy/nginx.ts';
import { certPaths, decideAndRoute, routingView, vhostChanges, type RoutingDeps } from './routing.ts';

/**
 * Certificates: read what a PEM says, check that the key belongs to it, and install or remove the
 * pair together with the vhost that serves it (one nginx check, one reload).
 */

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** What the first certificate of a PEM chain says. */
export function describeCertificate(pem: string, source: CertInfo['source']): CertInfo {
  const blocks = pem.match(PEM_CERT);
  if (!blocks) throw new UserError('No PEM certificate found (expected -----BEGIN CERTIFICATE-----)');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(blocks[0]);
  } catch (err) {
    throw new UserError(`Not a valid certificate: ${(err as Error).message}`);
  }
  const names = (cert.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => s.slice(4));
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(cert.subject)?.[1];
  return {
    source,
    subject: cert.subject.replace(/\n/g, ', '),
    issuer: cert.issuer.replace(/\n/g, ', '),
    names: names.length ? names : cn ? [cn] : [],
    notBefore: new Date(cert.validFrom).toISOString(),
    notAfter: new Date(cert.validTo).toISOString(),
    fingerprint: createHash('sha256').update(cert.raw).digest('hex'),
    serial: cert.serialNumber.toLowerCase(),
  };
}

/** The key must be a private key and must match the certificate. */
export function checkKeyPair(certPem: string, keyPem: string): void {
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch (err) {
    throw new UserError(`Not a valid private key: ${(err as Error).message.split('\n')[0]}`);
  }
  const first = certPem.match(PEM_CERT)?.[0];
  if (!first || !new X509Certificate(first).checkPrivateKey(key)) throw new UserError('The private key does not belong to the certificate');
}

export interface CertMaterial {
  info: CertInfo;
  certificate: string;
  key: string;
}

/** Reads and checks a PEM pair as given by a user (or an ACME server). */
export function certMaterial(certificate: string, key: string, source: CertInfo['source']): CertMaterial {
  const info = describeCertificate(certificate, source);
  checkKeyPair(certificate, key);
  if (Date.parse(info.notAfter) < Date.now()) throw new UserError(`The certificate expired on ${info.notAfter}`);
  return { info, certificate: certificate.endsWith('\n') ? certificate : `${certificate}\n`, key: key.endsWith('\n') ? key : `${key}\n` };
}

/** Installs (material) or removes (null) the app's certificate, its vhost following in the same check. */
export async function changeCertificate(deps: RoutingDeps, name: string, material: CertMaterial | null, reason?: string): Promise<StoredEvent[]> {
  const { db } = deps.store;
  const app = requireApp(db, name);
  const paths = certPaths(deps.settings, app.id);
  return decideAndRoute(
    deps,
    appStream(app.id),
    () => ({ app: findAppById(db, app.id) ?? app, proxy: proxyState(db, app.id) }),
    (s) => decideProxy(material ? { type: 'certs:add', cert: material.info } : { type: 'certs:remove', ...(reason ? { reason } : {}) }, s.proxy, proxyContext(db, app.id)),
    (s, events) => {
      const pending = { proxy: events.reduce(evolveProxy, s.proxy) };
      const routed = routingView(deps, s.app, pending).input !== undefined;
      const files: FileChange[] = [
        { path: paths.certificate, text: material?.certificate ?? null, checked: routed },
        { path: paths.key, text: material?.key ?? null, mode: 0o600, checked: routed },
      ];
      // The vhost stops naming the files before they go, and names them only once they are there.
      return material ? [...files, ...vhostChanges(deps, s.app, pending)] : [...vhostChanges(deps, s.app, pending), ...files];
    },
  );
}

/**
 * A self-signed certificate for the given names or IP addresses (ECDSA P-256), valid `days` days.
 * `ca`: it may also stand as the authority others trust it by (a registry's, in Docker's certs.d).
 */
export async function selfSignedCertificate(names: string[], days = 365, opts: { ca?: boolean } = {}): Promise<{ certificate: string; key: string }> {
  const x509 = await import('@peculiar/x509');
  const { webcrypto } = await import('node:crypto');
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as CryptoKeyPair;
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: createHash('sha256').update(`${now}${Math.random()}`).digest('hex').slice(0, 16),
    name: `CN=${names[0]}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + days * 86_400_000),
    signingAlgorithm: alg,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(opts.ca ?? false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | (opts.ca ? x509.KeyUsageFlags.keyCertSign : 0), true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: isIP(value) ? ('ip' as const) : ('dns' as const), value }))),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey as never));
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
  return { certificate: cert.toString('pem'), key };
}
