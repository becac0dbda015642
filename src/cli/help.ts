import type { CAC, Command } from 'cac';
import { UserError } from '../lib/errors.ts';
import type { Output } from '../lib/output.ts';

/**
 * Dokku's help: `help` names the namespaces, `<ns>:help` (run as `help <ns>`) lists one namespace's
 * commands, `help --all` lists every command. `--help` on a command is the parser's own usage page.
 */

export const USAGE = 'Usage: dokku [--quiet|--trace|--force|--app APP] COMMAND <app> [command-specific-options]';

/** A namespace's line in `help`, worded as Dokku words it where Dokku has the namespace. */
const NAMESPACES: Record<string, string> = {
  acl: 'Manage which SSH keys may use an app or a service',
  'app-json': 'Manage app.json settings',
  apps: 'Manage apps',
  backup: 'Export the whole platform to one archive, and import it onto a fresh host',
  builder: 'Manage builder settings',
  buildpacks: 'Manage buildpack settings for an app',
  builds: 'Manage builds of an app',
  certs: 'Manage SSL (TLS) certs',
  checks: 'Manage zero-downtime settings',
  cleanup: 'Remove exited containers and dangling images of dokku\'s apps',
  config: 'Manage global and app-specific config vars',
  cron: 'Manage scheduled cron tasks (app.json cron) run by the host\'s cron daemon',
  mariadb: 'Manage MariaDB services (built in; the official dokku-mariadb plugin\'s commands)',
  plugin: 'Install, enable and update plugins in any language (Dokku\'s plugin layout and triggers), and their properties',
  postgres: 'Manage PostgreSQL services (built in; the official dokku-postgres plugin\'s commands)',
  redis: 'Manage Redis services (built in; the official dokku-redis plugin\'s commands)',
  'docker-options': 'Manage docker options for an app',
  domains: 'Manage domains used by the proxy',
  enter: 'Connect to a specific app container',
  events: 'Show the event log',
  git: 'Manage app deploys via git',
  help: 'Show help',
  letsencrypt: "Manage Let's Encrypt certificates",
  logs: 'Output app logs',
  network: 'Manage the networks apps meet on (each app also has its own)',
  nginx: 'Manage the nginx proxy',
  ports: 'Manage ports for an app',
  proxy: 'Manage the proxy integration for an app',
  ps: 'Manage app processes',
  releases: 'Show the releases of an app',
  repo: 'Manage the app\'s repository and build cache',
  report: 'Show every report for an app',
  resource: 'Manage resource limits and reservations for an app',
  run: 'Run a one-off process inside a container',
  storage: 'Manage mounted volumes and named storage entries',
  'ssh-keys': 'Manage public ssh keys that are allowed to connect to Dokku',
  version: 'Print the version',
};

const namespaceOf = (c: Command): string => c.name.split(':')[0]!;

/** Commands a user runs (the git hook's plumbing is left out). */
const listed = (cli: CAC): Command[] => cli.commands.filter((c) => c.name !== '' && c.name !== 'git-hook');

function table(rows: Array<[string, string]>): string[] {
  const width = Math.max(0, ...rows.map(([l]) => l.length)) + 2;
  return rows.map(([l, d]) => `    ${l.padEnd(width)}${d}`.trimEnd());
}

export function printHelp(cli: CAC, io: Output, namespace: string | undefined, all: boolean, plugins: Array<[name: string, description: string]> = []): void {
  const commands = listed(cli);
  const line = (c: Command): [string, string] => [c.rawName, c.description];
  if (namespace !== undefined) {
    const own = commands.filter((c) => namespaceOf(c) === namespace);
    if (own.length === 0) throw new UserError(`\`${namespace}\` is not a dokku command. See \`dokku help\` for a list of commands.`);
    io.out(`Usage: dokku ${namespace}[:COMMAND]`);
    io.out('');
    io.out(NAMESPACES[namespace] ?? own[0]!.description);
    io.out('');
    io.out('Additional commands:');
    for (const l of table(own.map(line))) io.out(l);
    return;
  }
  io.out(USAGE);
  io.out('');
  if (all) {
    io.out('Commands:');
    io.out('');
    for (const l of table(commands.map(line))) io.out(l);
  } else {
    io.out('Primary help options, type "dokku COMMAND:help" for more details, or dokku help --all to see all commands.');
    io.out('');
    io.out('Commands:');
    io.out('');
    const names = [...new Set(commands.map(namespaceOf))].sort();
    const first = (ns: string) => commands.find((c) => namespaceOf(c) === ns)!.description;
    for (const l of table(names.map((ns) => [ns, NAMESPACES[ns] ?? first(ns)]))) io.out(l);
  }
  if (plugins.length) {
    io.out('');
    io.out('Plugins (dokku PLUGIN:help for their commands):');
    io.out('');
    for (const l of table(plugins)) io.out(l);
  }
  io.out('');
  io.out('Global flags, before the command: --quiet leaves out listing and report titles (as when output is piped),');
  io.out('--app APP names the app as its first argument, --force answers a confirmation (apps:destroy), --trace is');
  io.out('accepted for Dokku scripts and changes nothing (dokku runs no shell to trace).');
  io.out('');
  for (const l of DIFFERENCES) io.out(l);
}

/** Where dokku differs from Dokku on purpose, said once where a Dokku user looks first. */
const DIFFERENCES = [
  'Where dokku differs from Dokku on purpose:',
  '    releases, rollback  Heroku\'s: every deploy is a numbered release recording its image, config and',
  '                        processes; rollback deploys an earlier one again as a new release',
  '    events              the audit log of every change (hash-chained, events:verify), not plugin-trigger logging',
  '    ssh-keys, acl       a key is an admin (--admin) or may act only on the apps acl:add gave it',
  '    stack:build         the buildpack base image is built on the host from Debian packages, never pulled',
  '    network             every app runs on a network of its own; apps meet only on networks an admin made',
  '    docker-options      parsed by dokku (unknown flags refused when added), never passed to a shell or docker',
  '    resource            a change on a deployed app is released and deployed at once (--no-restart: later)',
  '    storage, resource…  mounts, limits, docker options and networks are recorded on each release',
  '    postgres, redis…    built in, images built on the host; links are recorded on releases; backups stay local',
  '    plugin              installs, updates and properties are events; a trigger\'s plugins run in name order and',
  '                        the first that fails stops the rest; a tenant runs only commands plugin.toml ties to an app',
];

/** `apps:help` is `help apps`, unless a namespace registers a command by that name. */
export function helpWords(cli: CAC, words: string[]): string[] {
  const m = /^([a-z0-9-]+):help$/.exec(words[0] ?? '');
  if (!m || cli.commands.some((c) => c.isMatched(words[0]!))) return words;
  // A namespace dokku does not have is a plugin's: its `commands` answers `<plugin>:help` itself.
  if (!cli.commands.some((c) => c.name.startsWith(`${m[1]!}:`) || c.name === m[1])) return words;
  return ['help', m[1]!, ...words.slice(1)];
}
