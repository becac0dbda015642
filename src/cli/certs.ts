import { readFileSync } from 'node:fs';
import type { CAC } from 'cac';
import { UsageError, UserError } from '../errors.ts';
import { certMaterial, changeCertificate, selfSignedCertificate } from '../proxy/certs.ts';
import { isWildcard } from '../proxy/domains.ts';
import { certPaths, routingView } from '../proxy/routing.ts';
import { getCert } from '../state/proxy-queries.ts';
import { requireApp } from '../state/queries.ts';
import { validateAppName } from '../validate.ts';
import { parseFormat, printAppReports } from './common.ts';
import type { Context } from './context.ts';
import { step, type ReportFields } from './output.ts';
import { routingDeps } from './proxy.ts';

const MAX_INPUT = 1024 * 1024;

async function readStdin(ctx: Context): Promise<Buffer> {
  if (ctx.io.stdinIsTTY) throw new UsageError('Give CRT and KEY files, or pipe a tar with server.crt and server.key into stdin');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.io.stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    size += b.length;
    if (size > MAX_INPUT) throw new UserError('Certificate input is larger than 1 MiB');
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

function readPem(path: string, what: string): string {
  try {
    const text = readFileSync(path, 'utf8');
    if (text.length > MAX_INPUT) throw new UserError(`${what} ${path} is larger than 1 MiB`);
    return text;
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`Cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function registerCerts(cli: CAC, ctx: Context): void {
  const { io } = ctx;

  for (const command of ['certs:add', 'certs:update']) {
    cli
      .command(`${command} <app> [crt] [key]`, 'Install a certificate and key (files, or a tar of server.crt and server.key on stdin)')
      .action(async (name: string, crt: string | undefined, key: string | undefined) => {
        const app = validateAppName(name);
        let certificate: string;
        let privateKey: string;
        if (crt !== undefined || key !== undefined) {
          if (crt === undefined || key === undefined) throw new UsageError('Give both CRT and KEY files');
          certificate = readPem(crt, 'certificate');
          privateKey = readPem(key, 'key');
        } else {
          const { readTar } = await import('../build/tar.ts');
          let entries;
          try {
            entries = readTar(await readStdin(ctx));
          } catch (err) {
            if (err instanceof UserError) throw err;
            throw new UserError(`stdin is not a tar archive: ${(err as Error).message}`);
          }
          const find = (suffix: string) => entries.find((e) => e.type === 'file' && (e.path === suffix || e.path.endsWith(`/${suffix}`)))?.data?.toString('utf8');
          const c = find('server.crt');
          const k = find('server.key');
          if (!c || !k) throw new UserError('The tar must hold server.crt and server.key');
          certificate = c;
          privateKey = k;
        }
        const material = certMaterial(certificate, privateKey, 'manual');
        const events = await changeCertificate(await routingDeps(ctx), app, material);
        io.out(step(events.length ? `Added certificate for ${material.info.names.join(', ')} to ${app}` : `${app} already has this certificate`));
      });
  }

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
      const { validateDomain } = await import('../proxy/domains.ts');
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
      await printAppReports(ctx, db, name, format, 'ssl information', (app) => {
      const c = getCert(db, app.id);
      const domains = routingView(deps, app).domains;
      const uncovered = c ? domains.filter((d) => !c.names.some((n) => n === d || (isWildcard(n) && d.endsWith(n.slice(1)) && !d.slice(0, -n.length + 1).includes('.')))) : [];
      const fields: ReportFields = [
        ['Ssl enabled', c !== undefined],
        ['Ssl source', c?.source ?? ''],
        ['Ssl subject', c?.subject ?? ''],
        ['Ssl issuer', c?.issuer ?? ''],
        ['Ssl hostnames', c?.names.join(' ') ?? ''],
        ['Ssl starts at', c?.notBefore ?? ''],
        ['Ssl expires at', c?.notAfter ?? ''],
        ['Ssl expires in days', c ? Math.floor((Date.parse(c.notAfter) - Date.now()) / 86_400_000) : ''],
        ['Ssl fingerprint', c?.fingerprint ?? ''],
        ['Ssl domains not covered', uncovered.join(' ')],
        ['Ssl certificate file', c ? certPaths(ctx.settings, app.id).certificate : ''],
      ];
        return { fields };
      });
    });
}
