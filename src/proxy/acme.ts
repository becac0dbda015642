import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { UserError } from '../lib/errors.ts';
import { printable } from '../lib/validate.ts';

/**
 * ACME (Let's Encrypt) through acme-client: an account key per directory URL, HTTP-01 answered by
 * nginx from the challenge directory every vhost serves at /.well-known/acme-challenge/.
 */

export interface AcmeOptions {
  directoryUrl: string;
  /** Where account keys live (one per directory URL, mode 0600). */
  accountDir: string;
  email: string;
}

type AcmeModule = typeof import('acme-client');

async function loadAcme(): Promise<AcmeModule> {
  const mod = (await import('acme-client')) as AcmeModule & { default?: AcmeModule };
  return mod.default ?? mod;
}

async function client(acme: AcmeModule, opts: AcmeOptions) {
  mkdirSync(opts.accountDir, { recursive: true, mode: 0o700 });
  const path = join(opts.accountDir, `${createHash('sha256').update(opts.directoryUrl).digest('hex').slice(0, 16)}.key`);
  let accountKey: Buffer;
  try {
    accountKey = readFileSync(path);
  } catch {
    accountKey = await acme.crypto.createPrivateEcdsaKey();
    writeFileSync(path, accountKey, { mode: 0o600 });
  }
  return new acme.Client({ directoryUrl: opts.directoryUrl, accountKey });
}

function explain(err: unknown, what: string): never {
  const e = err as Error & { code?: string };
  throw new UserError(`${what} failed: ${printable(e.message.split('\n')[0] ?? '')}`);
}

/** RFC 8555 §8.3: a token is base64url; anything else (`../x`, `/etc/x`, `.`) is the server lying. */
const TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

/**
 * Where the answer to a challenge goes: `<challenge dir>/<token>`, only for a token of the ACME
 * alphabet and only if the path stays inside the directory. The server chooses the token, so it
 * is refused here before any file is written or removed.
 */
export function challengeFile(challengeDir: string, token: unknown): string {
  if (typeof token !== 'string' || !TOKEN.test(token)) {
    throw new UserError(`The ACME server sent an invalid challenge token '${printable(String(token).slice(0, 80))}': tokens are 1 to 256 of A-Z a-z 0-9 _ -`);
  }
  const dir = resolve(challengeDir);
  const path = resolve(dir, token);
  const rel = relative(dir, path);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.includes('/')) {
    throw new UserError(`The ACME server sent a challenge token that leaves ${dir}`);
  }
  return path;
}

/** Orders a certificate for `domains` and returns the chain and its new key (PEM). */
export async function orderCertificate(
  opts: AcmeOptions & { domains: string[]; challengeDir: string; onLine: (line: string) => void },
): Promise<{ certificate: string; key: string }> {
  const acme = await loadAcme();
  mkdirSync(opts.challengeDir, { recursive: true, mode: 0o755 });
  chmodSync(opts.challengeDir, 0o755);
  try {
    const c = await client(acme, opts);
    const [key, csr] = await acme.crypto.createCsr({ commonName: opts.domains[0]!, altNames: opts.domains });
    const certificate = await c.auto({
      csr,
      email: opts.email,
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      // The server checks through nginx itself; a self-check from here would need public DNS.
      skipChallengeVerification: true,
      challengeCreateFn: async (authz, challenge, keyAuthorization) => {
        if (challenge.type !== 'http-01') throw new Error(`unsupported challenge ${printable(String(challenge.type).slice(0, 40))}`);
        const file = challengeFile(opts.challengeDir, challenge.token);
        opts.onLine(`       Answering the HTTP-01 challenge for ${printable(String(authz.identifier.value).slice(0, 253))}`);
        writeFileSync(file, keyAuthorization, { mode: 0o644 });
      },
      challengeRemoveFn: async (_authz, challenge) => {
        // The same check: a hostile token must not delete a file elsewhere either.
        rmSync(challengeFile(opts.challengeDir, challenge.token), { force: true });
      },
    });
    return { certificate, key: key.toString() };
  } catch (err) {
    if (err instanceof UserError) throw err;
    explain(err, `Certificate order from ${opts.directoryUrl}`);
  }
}

export async function revokeCertificate(opts: AcmeOptions & { certificate: string }): Promise<void> {
  const acme = await loadAcme();
  try {
    const c = await client(acme, opts);
    await c.createAccount({ termsOfServiceAgreed: true, ...(opts.email ? { contact: [`mailto:${opts.email}`] } : {}) });
    await c.revokeCertificate(opts.certificate);
  } catch (err) {
    explain(err, `Revocation at ${opts.directoryUrl}`);
  }
}
