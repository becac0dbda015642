import type { CAC } from 'cac';
import { UserError } from '../lib/errors.ts';
import { maskedData, summarize } from './audit.ts';
import { appIdOf, appStream } from '../state/events.ts';
import { findAppById } from '../state/queries.ts';
import type { EventStore } from '../state/store.ts';
import { escapeControls, parsePositiveInt, printable, validateAppName } from '../lib/validate.ts';
import { parseFormat, toJson } from './common.ts';
import type { Context } from '../app/context.ts';
import { step } from '../lib/output.ts';


/** `--since` takes an ISO time or a span back from now: 30s, 15m, 2h, 7d. */
export function parseSince(text: string, now: Date): string {
  const span = /^(\d+)([smhd])$/.exec(text);
  if (span) {
    const unit = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 }[span[2] as 's' | 'm' | 'h' | 'd'];
    const t = new Date(now.getTime() - Number(span[1]) * unit);
    if (!Number.isNaN(t.getTime())) return t.toISOString();
  }
  const date = /^(\d{4})-(\d{2})-(\d{2})/.exec(text);
  if (date) {
    const t = new Date(text);
    // Date() rolls an impossible day over (2026-02-30 → March 2); refuse it instead.
    const [y, m, d] = [Number(date[1]), Number(date[2]), Number(date[3])];
    const day = new Date(Date.UTC(y, m - 1, d));
    const real = day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
    if (real && !Number.isNaN(t.getTime())) return t.toISOString();
  }
  throw new UserError(`Invalid --since '${printable(text)}': use an ISO time (2026-01-31T12:00:00Z) or a span (30m, 2h, 7d)`);
}

/** Every stream that has ever carried this app name, so the audit of a destroyed app stays readable. */
function streamsNamed(store: EventStore, name: string): string[] {
  const rows = store.db.prepare('SELECT app_id FROM app_names WHERE name = ?').all<{ app_id: string }>(name);
  return rows.map((r) => appStream(r.app_id));
}

function appNameOf(store: EventStore, stream: string, cache: Map<string, string>): string {
  const id = appIdOf(stream);
  if (id === undefined) return '-';
  let name = cache.get(id);
  if (name === undefined) {
    const row = findAppById(store.db, id);
    if (row) name = row.name;
    else {
      const last = store.db
        .prepare(`SELECT data FROM events WHERE stream = ? AND type IN ('AppCreated', 'AppRenamed', 'AppDestroyed') ORDER BY version DESC LIMIT 1`)
        .get<{ data: string }>(stream);
      let d: { name?: string; to?: string } = {};
      try {
        if (last) d = JSON.parse(last.data) as typeof d;
      } catch {
        // A damaged row: the id still names the app; events:verify says what is wrong.
      }
      name = d.to ?? d.name ?? id;
    }
    cache.set(id, name);
  }
  return name;
}

/**
 * The streams a key may read: those of the apps it holds now, of `named` when a name was given
 * (all of them otherwise). The log's other streams (keys, grants, refusals) are admins' only.
 */
export function visibleStreams(visibleApps: ReadonlySet<string>, named?: readonly string[]): string[] {
  const own = [...visibleApps].map(appStream);
  return named === undefined ? own : own.filter((s) => named.includes(s));
}

export function registerEvents(cli: CAC, ctx: Context): void {
  const { io } = ctx;

  cli
    .command('events [app]', 'Show the audit log: who did what, when (config values are never shown)')
    .option('--since <time>', 'Only events at or after this time (ISO, or 30m, 2h, 7d)')
    .option('-n, --num <count>', 'Show the last N events', { default: 50 })
    .option('--format <format>', 'text or json')
    .action(async (app: string | undefined, opts: { since?: string; num: unknown; format?: string }) => {
      const format = parseFormat(opts.format);
      const limit = parsePositiveInt('-n', String(opts.num), 1_000_000);
      const since = opts.since === undefined ? undefined : parseSince(String(opts.since), new Date());
      const store = await ctx.store();
      let streams: string[] | undefined;
      if (app !== undefined) {
        validateAppName(app);
        streams = streamsNamed(store, app);
        if (streams.length === 0) throw new UserError(`App ${app} does not exist`);
      }
      // A key's own apps, by id: not the history of whatever app bore one of their names before.
      if (ctx.visibleApps) streams = visibleStreams(ctx.visibleApps, streams);
      const names = new Map<string, string>();
      const entries = store.latest({ limit, ...(streams ? { streams } : {}), ...(since ? { since } : {}) }).map((e) => {
        return { position: e.position, at: e.at, actor: e.actor, app: appNameOf(store, e.stream, names), type: e.type, summary: summarize(e), data: maskedData(e) };
      });
      if (format === 'json') {
        io.out(toJson(entries));
        return;
      }
      // What users typed (refused words, names, reasons) may hold terminal escapes: shown as \xHH.
      for (const e of entries) io.out(escapeControls([String(e.position).padStart(6), e.at, e.actor, e.app, e.type, e.summary].join('  ')));
    });

  cli
    .command('events:verify', 'Check the hash chain of the whole event log; prints the head (position and hash) to compare with a copy kept elsewhere')
    .option('--format <format>', 'text or json')
    .action(async (opts: { format?: string }) => {
      const format = parseFormat(opts.format);
      const result = (await ctx.store()).verify();
      if (format === 'json') io.out(toJson(result));
      if (!result.ok) throw new UserError(`Event log altered at position ${result.position}: ${result.reason}`);
      if (format === 'text') io.out(step(`Event log verified: ${result.count} events, hash chain intact; head ${result.position} ${result.hash}`));
    });

  cli.command('state:rebuild', 'Rebuild every projection from the event log').action(async () => {
    const started = performance.now();
    const n = (await ctx.store()).rebuildProjections();
    io.out(step(`Rebuilt state from ${n} events in ${((performance.now() - started) / 1000).toFixed(2)}s`));
  });
}
