import { cac, type CAC, type Command } from 'cac';
import pkg from '../../package.json' with { type: 'json' };
import { UsageError, UserError } from '../lib/errors.ts';
import { registerApps } from './apps.ts';
import { registerBuilds } from './builds.ts';
import { registerChecks } from './checks.ts';
import { registerGit } from './git.ts';
import { registerAcl } from './acl.ts';
import { registerSshKeys } from './ssh-keys.ts';
import { registerPs } from './ps.ts';
import { registerReleases } from './releases.ts';
import { registerRun } from './run.ts';
import { registerLogs } from './logs.ts';
import { registerDockerOptions } from './docker-options.ts';
import { registerCron } from './cron.ts';
import { registerStorage } from './storage.ts';
import { registerResource } from './resource.ts';
import { registerNetwork } from './network.ts';
import { registerStack } from './stack.ts';
import { registerServices } from './services.ts';
import { registerCerts } from './certs.ts';
import { registerDomains } from './domains.ts';
import { registerLetsencrypt } from './letsencrypt.ts';
import { registerNginx } from './nginx.ts';
import { registerPorts } from './ports.ts';
import { registerProxy } from './proxy.ts';
import { registerUrls } from './urls.ts';
import { registerConfig } from './config.ts';
import { registerAppJson } from './app-json.ts';
import { registerRepo } from './repo.ts';
import { registerCleanup } from './cleanup.ts';
import { registerReportAll } from './report-all.ts';
import { registerBackup } from './backup.ts';
import { registerPlugins, runPluginCommandLine } from './plugins.ts';
import { listPlugins } from '../app/plugins.ts';
import type { Context } from '../app/context.ts';
import { registerEvents } from './events.ts';
import { registerSwarm } from './swarm.ts';
import { errorLine } from '../lib/output.ts';
import { helpWords, printHelp } from './help.ts';
import { applyGlobalFlags, findCommand, takeGlobalFlags, takeReportFlag } from './global-flags.ts';
import { protectRawRest } from './raw-rest.ts';
import type { Authorize } from './authorize.ts';

export type { Authorize } from './authorize.ts';

export const VERSION: string = pkg.version;

export function buildProgram(ctx: Context): CAC {
  const cli = cac('dokku');
  registerApps(cli, ctx);
  registerConfig(cli, ctx);
  registerAppJson(cli, ctx);
  registerEvents(cli, ctx);
  registerReleases(cli, ctx);
  registerBuilds(cli, ctx);
  registerChecks(cli, ctx);
  registerGit(cli, ctx);
  registerPs(cli, ctx);
  registerRun(cli, ctx);
  registerLogs(cli, ctx);
  registerSwarm(cli, ctx);
  registerDockerOptions(cli, ctx);
  registerCron(cli, ctx);
  registerStorage(cli, ctx);
  registerResource(cli, ctx);
  registerNetwork(cli, ctx);
  registerStack(cli, ctx);
  registerServices(cli, ctx);
  registerDomains(cli, ctx);
  registerPorts(cli, ctx);
  registerProxy(cli, ctx);
  registerNginx(cli, ctx);
  registerCerts(cli, ctx);
  registerLetsencrypt(cli, ctx);
  registerUrls(cli, ctx);
  registerSshKeys(cli, ctx);
  registerAcl(cli, ctx);
  registerRepo(cli, ctx);
  registerCleanup(cli, ctx);
  registerReportAll(cli, ctx);
  registerBackup(cli, ctx);
  registerPlugins(cli, ctx, () => builtInNamespaces(cli));
  cli.command('version', 'Print the version').action(() => ctx.io.out(`dokku ${VERSION}`));
  cli
    .command('help [namespace]', 'Show the namespaces, one namespace\'s commands (or `<namespace>:help`), or with --all every command')
    .option('--all', 'Every command')
    .action(async (namespace: string | undefined, opts: { all?: boolean }) => {
      const plugins = namespace === undefined ? (await listPlugins(ctx)).filter((p) => p.enabled).map((p): [string, string] => [p.name, p.description]) : [];
      printHelp(cli, ctx.io, namespace, Boolean(opts.all), plugins);
    });
  cli.help();
  cli.version(VERSION);
  return cli;
}

/**
 * Parses and runs one command line (words, never a shell string) and returns the exit code.
 * A user error is one line on stderr; a usage error adds the usage line and exits 2.
 */
export async function runCommand(given: string[], ctx: Context, authorize?: Authorize): Promise<number> {
  const cli = buildProgram(ctx);
  try {
    const { flags, rest: afterFlags } = takeGlobalFlags(given);
    const rest = helpWords(cli, afterFlags);
    if (flags.quiet) ctx.io.quiet = true;
    const command = findCommand(cli, rest[0]);
    const report = takeReportFlag(command, applyGlobalFlags(command, rest, flags));
    const words = report.rest;
    ctx.reportFlag = report.flag;
    if (words.length === 0) {
      cli.outputHelp();
      return 0;
    }
    cli.parse(['dokku', 'dokku', ...pinBooleanFlags(cli, protectRawRest(cli, words))], { run: false });
    if (!cli.matchedCommand) {
      // Not dokku's: an enabled plugin's command, if one implements it (access checked on its plugin.toml).
      const code = await runPluginCommandLine(ctx, words, authorize);
      if (code !== undefined) return code;
      if (cli.options.help || cli.options.version) return 0;
      throw new UserError(`\`${words[0]}\` is not a dokku command. See \`dokku help\` for a list of commands.`);
    }
    // Access is checked on the parsed call, before its action runs (entry/session.ts).
    if (authorize) await authorize(cli.matchedCommand, cli.args.map(String), cli.options);
    const code = await cli.runMatchedCommand();
    return typeof code === 'number' ? code : 0;
  } catch (err) {
    return reportError(err, cli, ctx);
  } finally {
    ctx.close();
  }
}


/** dokku's own namespaces (and commands without one): no plugin may take one of these names. */
export function builtInNamespaces(cli: CAC): Set<string> {
  return new Set(['help', 'version', 'plugin', 'report', 'events', 'state', ...cli.commands.map((c) => c.name.split(/[: ]/)[0]!)]);
}

/**
 * The parser lets a bare boolean flag take the next word when it reads `true` or `false`, and turns a
 * numeric word after one into a number (`apps:destroy --force 007` would name app 7). Written as
 * `--flag=true`, a flag leaves the next word alone.
 */
function pinBooleanFlags(cli: CAC, words: string[]): string[] {
  const flags = new Set<string>();
  for (const command of [cli.globalCommand, ...cli.commands]) {
    for (const o of command.options) {
      if (o.isBoolean && !o.negated) for (const part of o.rawName.split(',')) flags.add(part.trim().split(/\s/)[0]!);
    }
  }
  const end = words.indexOf('--');
  return words.map((w, i) => (flags.has(w) && (end < 0 || i < end) ? `${w}=true` : w));
}

function reportError(err: unknown, cli: CAC, ctx: Context): number {
  const usage = cli.matchedCommand ? `Usage: dokku ${cli.matchedCommand.usageText || cli.matchedCommand.rawName}` : undefined;
  if (err instanceof UsageError) {
    ctx.io.err(errorLine(err.message));
    const line = err.usage ? `Usage: dokku ${err.usage}` : usage;
    if (line) ctx.io.err(line);
    return err.exitCode;
  }
  if (err instanceof UserError) {
    ctx.io.err(errorLine(err.message));
    return err.exitCode;
  }
  if (err instanceof Error && err.name === 'CACError') {
    ctx.io.err(errorLine(err.message));
    if (usage) ctx.io.err(usage);
    return 2;
  }
  throw err;
}
