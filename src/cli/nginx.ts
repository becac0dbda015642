import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { CAC } from 'cac';
import { UsageError, UserError } from '../lib/errors.ts';
import { changeRoutingSetting } from '../app/routing-changes.ts';
import { checkConfig, controlServer, readIfExists } from '../proxy/nginx.ts';
import { logPaths } from '../app/routing.ts';
import { vhostPath } from '../lib/settings.ts';
import { requireApp } from '../state/queries.ts';
import { setting } from '../state/release-queries.ts';
import { PROXY_SETTINGS } from '../state/proxy-settings.ts';
import type { SettingReader } from '../state/settings-schema.ts';
import { validateAppName } from '../lib/validate.ts';
import { parseFormat } from './common.ts';
import { printAppReports } from './report.ts';
import type { Context } from '../app/context.ts';
import { step, type ReportFields } from '../lib/output.ts';
import { routingDeps } from './proxy.ts';

export function registerNginx(cli: CAC, ctx: Context): void {
  const { io } = ctx;

  cli.command('nginx:show-config <app>', 'Print the app\'s nginx vhost').action(async (name: string) => {
    const app = requireApp((await ctx.store()).db, validateAppName(name));
    const text = readIfExists(vhostPath(ctx.settings, app.name));
    if (text === null) throw new UserError(`${app.name} has no nginx config (see proxy:report ${app.name})`);
    for (const line of text.replace(/\n$/, '').split('\n')) io.out(line);
  });

  cli.command('nginx:validate-config', 'Check the whole nginx configuration with nginx -t').action(async () => {
    const r = await checkConfig(ctx.settings);
    for (const line of r.output.split('\n').filter((l) => l.trim())) (r.code === 0 ? io.out : io.err)(`       ${line}`);
    if (r.code !== 0) throw new UserError('nginx configuration is invalid');
    io.out(step('nginx configuration is valid'));
  });

  const server = (action: 'start' | 'stop' | 'reload', gerund: string, note = '') =>
    cli.command(`nginx:${action}`, `${gerund.replace('ing', 's')} the nginx server${note}`).action(async () => {
      io.out(step(`${gerund} nginx`));
      const r = await controlServer(ctx.settings, action);
      for (const line of r.output.split('\n').filter((l) => l.trim())) io.err(`       ${line}`);
      if (r.code !== 0) throw new UserError(`nginx did not ${action} (exit ${r.code})`);
    });
  server('start', 'Starting');
  server('stop', 'Stopping');
  server('reload', 'Reloading', ' with the configuration on disk (not in Dokku; proxy:build-config rewrites it first)');

  const logs = (command: string, which: 'access' | 'error') =>
    cli
      .command(`${command} <app>`, `Show the app's nginx ${which} log`)
      .option('-t, --tail', 'Keep following the log')
      .option('-n, --num <lines>', 'Lines from the end', { default: 100 })
      .action(async (name: string, opts: { tail?: boolean; num: number | string }) => {
        const { db } = await ctx.store();
        const app = requireApp(db, validateAppName(name));
        const path = logPaths(ctx.settings, app.name, (ns, key) => setting(db, app.id, ns, key))[which];
        if (path === 'off') throw new UserError(`The ${which} log of ${app.name} is off (nginx:set ${app.name} ${which}-log-path)`);
        const n = Number(opts.num);
        if (!Number.isInteger(n) || n < 0 || n > 100_000) throw new UsageError(`Invalid --num '${opts.num}': use 0 to 100000`);
        if (!opts.tail) {
          if (!existsSync(path)) throw new UserError(`No ${which} log yet at ${path}`);
          const lines = readFileSync(path, 'utf8').split('\n');
          if (lines.at(-1) === '') lines.pop();
          for (const line of n === 0 ? [] : lines.slice(-n)) io.out(line);
          return;
        }
        // Follow with tail(1): arguments as words, no shell.
        await new Promise<void>((resolve, reject) => {
          const child = spawn('tail', ['-n', String(n), '-F', path], { stdio: ['ignore', 'inherit', 'inherit'] });
          child.on('error', reject);
          child.on('close', () => resolve());
        });
      });
  logs('nginx:access-logs', 'access');
  logs('nginx:error-logs', 'error');

  const keys = Object.keys(PROXY_SETTINGS.nginx) as Array<keyof typeof PROXY_SETTINGS.nginx>;
  cli
    .command('nginx:set [...words]', `Set an nginx property for <app> (or --global): ${keys.join(', ')}; no value resets it. Unlike Dokku: values are validated, a log path other than off needs an admin key, no nginx-service-command (DOKKU_NGINX_START/STOP/RELOAD)`)
    .usage('nginx:set <app>|--global <property> [value]')
    .option('--global', 'Set it for every app that has no value of its own')
    .action(async (words: string[], opts: { global?: boolean }) => {
      const [app, property, value, ...rest] = opts.global ? [undefined, ...words] : words;
      if (!opts.global && app === undefined) throw new UsageError('Missing app name (or pass --global)');
      if (property === undefined) throw new UsageError(`Missing property: one of ${keys.join(', ')}`);
      if (rest.length) throw new UsageError('Too many arguments: one property and one value');
      const changed = await changeRoutingSetting(await routingDeps(ctx), app === undefined ? undefined : validateAppName(app), 'nginx', property, value === undefined || value === '' ? null : value);
      io.out(step(changed ? `Set nginx ${property}${value ? ` to ${value}` : ' to its default'}${app ? ` for ${app}` : ' globally'}` : `nginx ${property} unchanged`));
    });

  cli
    .command('nginx:report [app]', 'Show nginx settings (all apps when none is named)')
    .option('--format <format>', 'text or json')
    .action(async (name: string | undefined, opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const deps = await routingDeps(ctx);
      const { db } = deps.store;
      await printAppReports(ctx, db, { name, format }, 'nginx information', (app) => {
        const get: SettingReader = (ns, key) => setting(db, app.id, ns, key);
        const paths = logPaths(ctx.settings, app.name, get);
        // Dokku's field names: "Nginx " and the property's words, with the value in effect.
        const fields: ReportFields = keys.map((key) => {
          const value = key === 'access-log-path' ? paths.access : key === 'error-log-path' ? paths.error : get('nginx', key);
          const shown = key === 'client-max-body-size' && value === '' ? '1m (nginx default)' : value;
          return [`Nginx ${key.replace(/-/g, ' ')}`, shown];
        });
        return { fields };
      });
    });
}
