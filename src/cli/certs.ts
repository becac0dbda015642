import { dirname } from 'node:path';
import type { CAC } from 'cac';
import { UsageError, UserError } from '../lib/errors.ts';
import { certPairFromInput, MAX_CERT_INPUT_BYTES, MAX_PEM_BYTES, type CertPair } from '../proxy/cert-input.ts';
import { certMaterial, changeCertificate, selfSignedCertificate } from '../app/certs.ts';
import { isWildcard } from '../lib/domains.ts';
import { certPaths, routingView } from '../app/routing.ts';
import { getCert } from '../state/proxy-queries.ts';
import { requireApp } from '../state/queries.ts';
import { readFileCapped } from '../lib/read-capped.ts';
import { readInput } from '../lib/stdin.ts';
import { printable, validateAppName } from '../lib/validate.ts';
import { parseFormat } from './common.ts';
import { printAppReports } from './report.ts';
import { forbidTenant, type Context } from '../app/context.ts';
import { step, type ReportFields } from '../lib/output.ts';
import { routingDeps } from './proxy.ts';

/** Over SSH a certificate comes on stdin; only admins and local callers may name files on the server. */
const PATHS_REFUSED = 'certificate and key files are paths on the server: pipe them on stdin (a tar of server.crt and server.key, or the PEM certificate and key concatenated)';

async function readStdinPair(ctx: Context): Promise<CertPair> {
  if (ctx.io.stdinIsTTY) throw new UsageError('Give CRT and KEY files, or pipe a tar of server.crt and server.key (or the PEM certificate and key) into stdin');
  return certPairFromInput(await readInput(ctx.io.stdin, { maxBytes: MAX_CERT_INPUT_BYTES, what: 'certificate input on stdin' }));
}

function readPemFile(path: string, what: string): string {
  return readFileCapped(path, MAX_PEM_BYTES, `${what} ${printable(path)}`).toString('utf8');
}

export function registerCerts(cli: CAC, ctx: Context): void {
  const { io } = ctx;

  for (const command of ['certs:add', 'certs:update']) {
    cli
      .command(`${command} <app> [crt] [key]`, 'Install a certificate and key: CRT and KEY files (admin), or on stdin a tar of server.crt and server.key, or the PEM certificate and key')
      .action(async (name: string, crt: string | undefined, key: string | undefined) => {
        const app = validateAppName(name);
        let pair: CertPair;
        if (crt === undefined || (crt === '-' && key === undefined)) pair = await readStdinPair(ctx);
        else {
          // Refused before any file is opened: whether a path exists is not for a tenant to learn.
          await forbidTenant(ctx, command, PATHS_REFUSED, app);
          if (key === undefined) throw new UsageError('Give both CRT and KEY files (or - and the pair on stdin)');
          pair = { certificate: readPemFile(crt, 'certificate'), key: readPemFile(key, 'key') };
        }
        const material = certMaterial(pair.certificate, pair.key, 'manual');
        const events = await changeCertificate(await routingDeps(ctx), app, material);
        io.out(step(events.length ? `Added certificate for ${material.info.names.join(', ')} to ${app}` : `${app} already has this certificate`));
      });
  }

  cli
    .command('certs:show <app> <crt|key>', "Print the app's certificate (crt) or its private key (key) as PEM")
    .action(async (name: string, which: string) => {
      const app = validateAppName(name);
      if (which !== 'crt' && which !== 'key') throw new UsageError(`Unknown part '${printable(which)}': use crt or key`);
      const deps = await routingDeps(ctx);
      const row = requireApp(deps.store.db, app);
      if (!getCert(deps.store.db, row.id)) throw new UserError(`${app} has no certificate: certs:add or certs:generate gives it one`);
      const paths = certPaths(ctx.settings, row.id);
      const pem = readFileCapped(which === 'crt' ? paths.certificate : paths.key, MAX_PEM_BYTES, `the ${which === 'crt' ? 'certificate' : 'key'} of ${app}`);
      io.out(pem.toString('utf8').trimEnd());
    });

  cli.command('certs:remove <app>', 'Remove the app\'s certificate (back to plain http)').action(async (name: string) => {
    const app = validateAppName(name);
    await changeCertificate(await routingDeps(ctx), app, null);
    io.out(step(`Removed the certificate of ${app}`));
  });

  cli
    .command('certs:generate <app> [...domains]', 'Generate a self-signed certificate for the app\'s domains (or the ones given)')
    .option('--days <days>', 'Days it is valid', { default: 365 })
    .action(async (name: string, given: string[], opts: { days: string | number }) => {
      const app = validateAppName(name);
      const days = Number(opts.days);
      if (!Number.isInteger(days) || days < 1 || days > 3650) throw new UsageError(`Invalid --days '${opts.days}': use 1 to 3650`);
      const deps = await routingDeps(ctx);
      const row = requireApp(deps.store.db, app);
      const { validateDomain } = await import('../lib/domains.ts');
      const names = given.length ? given.map(validateDomain) : routingView(deps, row).domains;
      if (names.length === 0) throw new UserError(`${app} has no domains: add one first, or name the domains to generate for`);
      const pair = await selfSignedCertificate(names, days);
      await changeCertificate(deps, app, certMaterial(pair.certificate, pair.key, 'self-signed'));
      io.out(step(`Generated a self-signed certificate for ${names.join(', ')} (valid ${days} days)`));
    });

  cli
    .command('certs:report [app]', 'Show certificate information (all apps when none is named)')
    .option('--format <format>', 'text or json')
    .action(async (name: string | undefined, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const deps = await routingDeps(ctx);
      const { db } = deps.store;
      await printAppReports(ctx, db, { name, format }, 'ssl information', (app) => {
      const c = getCert(db, app.id);
      const domains = routingView(deps, app).domains;
      const uncovered = c ? domains.filter((d) => !c.names.some((n) => n === d || (isWildcard(n) && d.endsWith(n.slice(1)) && !d.slice(0, -n.length + 1).includes('.')))) : [];
      const file = certPaths(ctx.settings, app.id).certificate;
      const fields: ReportFields = [
        ['Ssl dir', dirname(file)],
        ['Ssl enabled', c !== undefined],
        ['Ssl expires at', c?.notAfter ?? ''],
        ['Ssl fingerprint', c?.fingerprint ?? ''],
        ['Ssl hostnames', c?.names.join(' ') ?? ''],
        ['Ssl issuer', c?.issuer ?? ''],
        ['Ssl starts at', c?.notBefore ?? ''],
        ['Ssl subject', c?.subject ?? ''],
      ];
      const extra: ReportFields = [
        ['Ssl source', c?.source ?? ''],
        ['Ssl expires in days', c ? Math.floor((Date.parse(c.notAfter) - Date.now()) / 86_400_000) : ''],
        ['Ssl domains not covered', uncovered.join(' ')],
        ['Ssl certificate file', c ? file : ''],
      ];
        return { fields, extra };
      });
    });
}
