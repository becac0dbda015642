import { setSetting } from '../app/settings.ts';
import { readFileSync } from 'node:fs';
import type { CAC } from 'cac';
import { UsageError, UserError } from '../lib/errors.ts';
import { certMaterial, changeCertificate } from '../app/certs.ts';
import { isWildcard } from '../lib/domains.ts';
import { certPaths, challengeDir, routingView, type RoutingDeps } from '../app/routing.ts';
import { acmeDir } from '../lib/settings.ts';
import { PROXY_SETTINGS } from '../state/proxy-settings.ts';
import { getCert, letsencryptApps } from '../state/proxy-queries.ts';
import { requireApp, type AppRow } from '../state/queries.ts';
import { setting as readSetting } from '../state/release-queries.ts';
import type { SettingKey } from '../state/settings-schema.ts';
import { validateAppName } from '../lib/validate.ts';
import { parseFormat, toJson } from './common.ts';
import { forEachApp } from './each-app.ts';
import { printAppReports } from './report.ts';
import { forbidTenant, type Context } from '../app/context.ts';
import { header, step, type ReportFields } from '../lib/output.ts';
import { routingDeps } from './proxy.ts';

const setting = (deps: RoutingDeps, app: AppRow, key: SettingKey<'letsencrypt'>) => readSetting(deps.store.db, app.id, 'letsencrypt', key);

/** Orders a certificate for the app's (non-wildcard) domains and installs it with its vhost. */
async function issue(ctx: Context, deps: RoutingDeps, app: AppRow): Promise<void> {
  const view = routingView(deps, app);
  if (!view.input) throw new UserError(`${app.name} is not routed (see proxy:report ${app.name}): Let's Encrypt checks the domain over http through nginx`);
  const domains = view.domains.filter((d) => !isWildcard(d));
  if (domains.length === 0) throw new UserError(`${app.name} has only wildcard domains: HTTP-01 cannot validate a wildcard`);
  const email = setting(deps, app, 'email');
  if (!email) throw new UserError('Set an email first: letsencrypt:set --global email you@example.com');
  const server = setting(deps, app, 'server');
  ctx.io.out(step(`Requesting a certificate for ${domains.join(', ')} from ${server}`));
  const { orderCertificate } = await import('../proxy/acme.ts');
  const pair = await orderCertificate({ directoryUrl: server, accountDir: acmeDir(ctx.settings), email, domains, challengeDir: challengeDir(ctx.settings), onLine: ctx.io.out });
  const material = certMaterial(pair.certificate, pair.key, 'letsencrypt');
  await changeCertificate(deps, app.name, material);
  ctx.io.out(step(`Installed the certificate for ${app.name} (expires ${material.info.notAfter})`));
}

export function registerLetsencrypt(cli: CAC, ctx: Context): void {
  const { io } = ctx;

  cli.command('letsencrypt:enable <app>', 'Get a Let\'s Encrypt certificate for the app\'s domains and serve https').action(async (name: string) => {
    const deps = await routingDeps(ctx);
    await issue(ctx, deps, requireApp(deps.store.db, validateAppName(name)));
  });

  cli.command('letsencrypt:disable <app>', 'Remove the app\'s Let\'s Encrypt certificate').action(async (name: string) => {
    const deps = await routingDeps(ctx);
    const app = requireApp(deps.store.db, validateAppName(name));
    if (getCert(deps.store.db, app.id)?.source !== 'letsencrypt') throw new UserError(`${app.name} has no Let's Encrypt certificate`);
    await changeCertificate(deps, app.name, null, 'letsencrypt disabled');
    io.out(step(`Removed the Let's Encrypt certificate of ${app.name}`));
  });

  cli.command('letsencrypt:revoke <app>', 'Revoke the app\'s Let\'s Encrypt certificate and remove it').action(async (name: string) => {
    const deps = await routingDeps(ctx);
    const app = requireApp(deps.store.db, validateAppName(name));
    if (getCert(deps.store.db, app.id)?.source !== 'letsencrypt') throw new UserError(`${app.name} has no Let's Encrypt certificate`);
    const { revokeCertificate } = await import('../proxy/acme.ts');
    await revokeCertificate({
      directoryUrl: setting(deps, app, 'server'),
      accountDir: acmeDir(ctx.settings),
      email: setting(deps, app, 'email'),
      certificate: readFileSync(certPaths(ctx.settings, app.id).certificate, 'utf8'),
    });
    await changeCertificate(deps, app.name, null, 'revoked');
    io.out(step(`Revoked and removed the certificate of ${app.name}`));
  });

  cli
    .command('letsencrypt:list', 'List apps with a Let\'s Encrypt certificate and when it expires')
    .option('--format <format>', 'text or json')
    .action(async (opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const deps = await routingDeps(ctx);
      const rows = letsencryptApps(deps.store.db).map((r) => ({ app: r.name, expires_at: r.notAfter, days_left: Math.floor((Date.parse(r.notAfter) - Date.now()) / 86_400_000) }));
      if (format === 'json') return io.out(toJson(rows));
      header(io, "Let's Encrypt certificates");
      io.out(`${'App'.padEnd(30)} ${'Expires at'.padEnd(25)} Days left`);
      for (const r of rows) io.out(`${r.app.padEnd(30)} ${r.expires_at.padEnd(25)} ${r.days_left}`);
    });

  const keys = Object.keys(PROXY_SETTINGS.letsencrypt!);
  cli
    .command('letsencrypt:set [...words]', `Set ${keys.join(', ')} for <app> or --global; no value resets it`)
    .usage('letsencrypt:set <app>|--global <property> [value]')
    .option('--global', 'For every app without its own value')
    .action(async (words: string[], opts: { global?: boolean }) => {
      const [app, property, value, ...rest] = opts.global ? [undefined, ...words] : words;
      if (!opts.global && app === undefined) throw new UsageError('Missing app name (or pass --global)');
      if (property === undefined) throw new UsageError(`Missing property: one of ${keys.join(', ')}`);
      if (rest.length) throw new UsageError('Too many arguments: one property and one value');
      // dokku trusts the ACME server's answers (challenge tokens, certificates): only an admin picks it.
      if (property === 'server') await forbidTenant(ctx, 'letsencrypt:set', 'the ACME server is set by an admin (letsencrypt:set --global server URL)', app);
      const changed = await setSetting(ctx, app === undefined ? undefined : validateAppName(app), 'letsencrypt', property, value === undefined || value === '' ? null : value);
      io.out(step(changed ? `Set letsencrypt ${property}${value ? ` to ${value}` : ' to its default'}` : `letsencrypt ${property} unchanged`));
    });

  cli
    .command('letsencrypt:auto-renew [app]', 'Renew Let\'s Encrypt certificates that expire within the grace period (30 days); run daily')
    .action(async (name: string | undefined) => {
      const deps = await routingDeps(ctx);
      const all = letsencryptApps(deps.store.db);
      const targets = name === undefined ? all : all.filter((a) => a.name === validateAppName(name));
      if (name !== undefined && targets.length === 0) throw new UserError(`${name} has no Let's Encrypt certificate`);
      return forEachApp(io, targets, (t) => t.name, async (t) => {
        const app = requireApp(deps.store.db, t.name);
        const left = Date.parse(t.notAfter) - Date.now();
        const grace = Number(setting(deps, app, 'graceperiod')) * 1000;
        if (left > grace) {
          io.out(step(`${t.name}: certificate expires ${t.notAfter}, not renewing yet`));
          return;
        }
        io.out(step(`${t.name}: certificate expires ${t.notAfter}, renewing`));
        await issue(ctx, deps, app);
      });
    });

  cli
    .command('letsencrypt:report [app]', 'Show Let\'s Encrypt settings and certificate (all apps when none is named; --global for the global settings)')
    .option('--global', 'Show the global settings')
    .option('--format <format>', 'text or json')
    .action(async (name: string | undefined, opts: { global?: boolean; format?: string }) => {
      const format = parseFormat(opts.format);
      const deps = await routingDeps(ctx);
      const { db } = deps.store;
      const settings = (appId: string): ReportFields => {
        const get = (key: SettingKey<'letsencrypt'>) => readSetting(db, appId, 'letsencrypt', key);
        return [['Letsencrypt email', get('email')], ['Letsencrypt server', get('server')], ['Letsencrypt graceperiod', get('graceperiod')]];
      };
      const req = { name, format, ...(opts.global ? { global: settings('') } : {}) };
      await printAppReports(ctx, db, req, 'letsencrypt information', (app) => {
        const cert = getCert(db, app.id);
        const active = cert?.source === 'letsencrypt';
        return { fields: [...settings(app.id), ['Letsencrypt active', active]], extra: [['Letsencrypt expires at', active ? cert.notAfter : '']] };
      });
    });
}
