import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.ts';

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
  throw new UserError(`${what} failed: ${e.message.split('\n')[0]}`);
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
        if (challenge.type !== 'http-01') throw new Error(`unsupported challenge ${challenge.type}`);
        opts.onLine(`       Answering the HTTP-01 challenge for ${authz.identifier.value}`);
        writeFileSync(join(opts.challengeDir, challenge.token), keyAuthorization, { mode: 0o644 });
      },
      challengeRemoveFn: async (_authz, challenge) => {
        rmSync(join(opts.challengeDir, challenge.token), { force: true });
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
