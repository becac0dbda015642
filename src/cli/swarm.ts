import type { CAC } from 'cac';
import type { Context } from '../app/context.ts';
import { setSetting } from '../app/settings.ts';
import { checkAdvertiseAddr, initSwarm, joinToken, listNodes, registryLoginCase, registryLogoutCase, setAvailability, watchSwarm } from '../app/swarm.ts';
import { embeddedRegistry } from '../app/swarm-daemons.ts';
import { selectedScheduler } from '../app/wiring.ts';
import { UsageError } from '../lib/errors.ts';
import { step } from '../lib/output.ts';
import { readInput } from '../lib/stdin.ts';
import { repositoryOf } from '../lib/registry-ref.ts';
import { getSettings, listReleases, setting } from '../state/release-queries.ts';
import { pushedReference, registryLogin } from '../state/swarm-state.ts';
import { parseFormat, toJson } from './common.ts';
import { setProperty } from './property-set.ts';
import { printAppReports } from './report.ts';

/** `scheduler:*`, `registry:*` and `swarm:*`: where an app's processes run, and the swarm they may run on. */
export function registerSwarm(cli: CAC, ctx: Context): void {
  const { io } = ctx;

  cli
    .command('scheduler:set [...words]', 'Set the scheduler for <app> (or --global): selected docker-local|swarm; no value resets it; the next deploy moves the app')
    .usage('scheduler:set <app>|--global selected [docker-local|swarm]')
    .option('--global', 'Set it for every app that has no value of its own')
    .action(async (words: string[], opts: { global?: boolean }) => setProperty(ctx, 'scheduler', words, opts.global));

  cli
    .command('scheduler:report [app]', 'Show the scheduler settings (all apps when none is named)')
    .option('--format <format>', 'text or json')
    .option('--global', 'Show the global default only')
    .action(async (name: string | undefined, opts: { format?: string; global?: boolean }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      const global = setting(db, '', 'scheduler', 'selected');
      await printAppReports(ctx, db, { name, format, ...(opts.global ? { global: [['Scheduler global selected', global]] } : {}) }, 'scheduler information', (app) => ({
        fields: [
          ['Scheduler computed selected', selectedScheduler(db, app.name)],
          ['Scheduler global selected', global],
          ['Scheduler selected', getSettings(db, app.id, 'scheduler').selected ?? ''],
        ],
      }));
    });

  cli
    .command('registry:set [...words]', 'Set where swarm apps\' images are pushed: --global server HOST:PORT (no value: the embedded registry, or none)')
    .usage('registry:set --global server [HOST:PORT]')
    .option('--global', 'The registry is global: every swarm app pushes there')
    .action(async (words: string[], opts: { global?: boolean }) => {
      if (!opts.global) throw new UsageError('The registry is set for every app: registry:set --global server HOST:PORT', 'registry:set --global server [HOST:PORT]');
      const [property, value, ...rest] = words;
      if (property !== 'server') throw new UsageError(`Unknown registry property '${(property ?? '').slice(0, 40)}': use server`, 'registry:set --global server [HOST:PORT]');
      if (rest.length) throw new UsageError('One server only', 'registry:set --global server [HOST:PORT]');
      const fallback = value ? undefined : embeddedRegistry(ctx.settings);
      const changed = await setSetting(ctx, undefined, 'registry', 'server', value || fallback || null);
      io.out(step(changed ? `Setting registry server to ${value || fallback || 'none'}` : 'registry server unchanged'));
    });

  cli
    .command('registry:report [app]', 'Show the registry swarm apps push to, and what each app pushed (all apps when none is named)')
    .option('--format <format>', 'text or json')
    .option('--global', 'Show the global settings only')
    .action(async (name: string | undefined, opts: { format?: string; global?: boolean }) => {
      const format = parseFormat(opts.format);
      const { db } = await ctx.store();
      const server = setting(db, '', 'registry', 'server');
      const globalFields: Array<[string, string]> = [
        ['Registry global server', server],
        ['Registry embedded', embeddedRegistry(ctx.settings) ?? ''],
        ['Registry logged in', server && registryLogin(db, server) ? 'true' : 'false'],
      ];
      await printAppReports(ctx, db, { name, format, ...(opts.global ? { global: globalFields } : {}) }, 'registry information', (app) => {
        const current = listReleases(db, app.id, 1)[0];
        const pushed = current ? pushedReference(db, app.id, current.image) : undefined;
        return {
          fields: [
            ['Registry computed image repo', server ? repositoryOf(server, app.name) : ''],
            ['Registry computed server', server],
            ['Registry global server', server],
          ],
          extra: [['Registry pushed image', pushed ?? '']],
        };
      });
    });

  cli
    .command('registry:login [server] [username] [password]', 'Log in to a registry; --password-stdin reads the password from stdin')
    .option('--password-stdin', 'Read the password from stdin (keeps it out of the process list)')
    .action(async (server: string | undefined, username: string | undefined, password: string | undefined, opts: { passwordStdin?: boolean }) => {
      const usage = 'registry:login SERVER USERNAME PASSWORD|--password-stdin';
      if (!server || !username) throw new UsageError('Missing server or username', usage);
      const secret = opts.passwordStdin ? (await readInput(io.stdin, { maxBytes: 4096, what: 'a password on stdin' })).toString('utf8').replace(/\r?\n$/, '') : password;
      if (secret === undefined) throw new UsageError('Missing password (or pass --password-stdin)', usage);
      await registryLoginCase(ctx, server, username, secret);
    });

  cli.command('registry:logout <server>', 'Forget the credentials of a registry').action((server: string) => registryLogoutCase(ctx, server));

  cli
    .command('swarm:init', 'Make this host\'s Docker engine a swarm manager, with its own registry for the nodes')
    .option('--advertise-addr <addr>', 'IPv4 address of this host the other nodes reach (required)')
    .option('--registry-port <port>', 'Port of the embedded registry on that address (default 5000)')
    .option('--no-registry', 'Use the registry registry:set names instead of starting one')
    .action(async (opts: { advertiseAddr?: string; registryPort?: string; registry?: boolean }) => {
      if (!opts.advertiseAddr) throw new UsageError('Missing --advertise-addr: the address of this host the other nodes reach', 'swarm:init --advertise-addr ADDR [--registry-port 5000] [--no-registry]');
      const port = opts.registryPort === undefined ? 5000 : Number(opts.registryPort);
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`Invalid --registry-port '${String(opts.registryPort).slice(0, 16)}': a port from 1 to 65535`);
      await initSwarm(ctx, { advertiseAddr: checkAdvertiseAddr(String(opts.advertiseAddr)), registryPort: port, registry: opts.registry !== false });
    });

  cli
    .command('swarm:join-token [role]', 'Print what a new node runs to join the swarm: worker (default) or manager')
    .option('--quiet', 'Print the token only')
    .action(async (role: string | undefined, opts: { quiet?: boolean }) => {
      const r = role ?? 'worker';
      if (r !== 'worker' && r !== 'manager') throw new UsageError(`Invalid role '${r.slice(0, 20)}': worker or manager`, 'swarm:join-token [worker|manager]');
      const t = await joinToken(ctx, r);
      if (opts.quiet) return void io.out(t.token);
      io.out(step(`On the new node (Docker installed), run:`));
      io.out(`    ${t.command}`);
      if (t.registry && t.certificate) {
        io.out(step(`and trust the registry there, as /etc/docker/certs.d/${t.registry}/ca.crt:`));
        for (const line of t.certificate.trimEnd().split('\n')) io.out(line);
      }
    });

  cli
    .command('swarm:nodes', 'List the swarm\'s nodes: ID, address, role, availability, state')
    .option('--format <format>', 'text or json')
    .action(async (opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const nodes = await listNodes(ctx);
      if (format === 'json') return void io.out(toJson(nodes));
      const rows = [['ID', 'ADDRESS', 'ROLE', 'AVAILABILITY', 'STATE', 'ENGINE'], ...nodes.map((n) => [`${n.id.slice(0, 12)}${n.self ? ' *' : ''}`, n.addr, n.leader ? 'manager (leader)' : n.role, n.availability, n.state, n.engine])];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const r of rows) io.out(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
    });

  cli
    .command('swarm:drain <node>', 'Move every task off a node (ID, address or hostname) and wait until nginx follows them')
    .action((node: string) => setAvailability(ctx, node, 'drain'));

  cli.command('swarm:activate <node>', 'Let a drained node take tasks again').action((node: string) => setAvailability(ctx, node, 'active'));

  cli
    .command('swarm:watch', 'Follow swarm tasks as they move and keep nginx on them (started by swarm:init and swarm deploys; runs until stopped)')
    .option('--interval <seconds>', 'Seconds between passes (default 1)')
    .action(async (opts: { interval?: string }) => {
      const seconds = opts.interval === undefined ? 1 : Number(opts.interval);
      if (!Number.isFinite(seconds) || seconds < 0.2 || seconds > 60) throw new UsageError(`Invalid --interval '${String(opts.interval).slice(0, 16)}': seconds from 0.2 to 60`);
      await watchSwarm(ctx, seconds * 1000);
    });
}
