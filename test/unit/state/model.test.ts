import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type Io } from '../../../src/app/context.ts';
import { runCommand } from '../../../src/cli/program.ts';
import { loadSettings } from '../../../src/lib/settings.ts';
import { openDatabase } from '../../../src/state/db.ts';
import type { ConfigVars } from '../../../src/state/deciders.ts';
import { appIdOf } from '../../../src/state/events.ts';
import { EventStore } from '../../../src/state/store.ts';
import { dumpProjections } from '../../helpers/projections.ts';
import { picker, testSeed, type Picker } from '../../helpers/random.ts';

/**
 * A randomized model test. Random commands run through the real command path (word parsing,
 * validation, deciders, the store, projections) against a temporary database, while a plain
 * in-memory model predicts each exit code and the resulting state. At checkpoints and at the end
 * the projection tables (the state every decision is made on) hold what the model holds, each app
 * under the id of the stream that created it, and rebuilding the projections from the log changes
 * no row of any projection table.
 */

const COMMANDS = 1200;
const seed = testSeed();
const rand = picker(seed);
let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'dokku-model-'));
  // Printed so a failure can be replayed: DOKKU_TEST_SEED=<seed> npx vitest run test/unit/state/model.test.ts
  console.log(`model test seed: ${seed} (replay with DOKKU_TEST_SEED=${seed})`);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface ModelApp {
  config: ConfigVars;
  locked: boolean;
}

interface Model {
  apps: Map<string, ModelApp>;
  global: ConfigVars;
}

const VALID_NAMES = ['alpha', 'beta', 'gamma', 'd-4', '7', 'x'.repeat(63)];
const INVALID_NAMES = ['Alpha', 'under_score', 'sp ace', 'dash-', 'x'.repeat(64), 'dot.name'];
const VALID_KEYS = ['A', 'B', 'C', 'DATABASE_URL', '_private', 'lower'];
const INVALID_KEYS = ['1A', 'A-B', 'A B', ''];
const VALUES = ['', 'plain', 'two words', 'line1\nline2', "it's", 'say "hi"', '$HOME $(id) `x`', 'back\\slash', 'é ✓ 🚀', '=', '-x', '--flag'];

function value(r: Picker): string {
  if (r.chance(0.5)) return r.pick(VALUES);
  let s = '';
  for (let i = r.int(8); i > 0; i--) s += String.fromCodePoint(0x20 + r.int(0x60));
  return s;
}

const name = (r: Picker) => (r.chance(0.08) ? r.pick(INVALID_NAMES) : r.pick(VALID_NAMES));
const key = (r: Picker) => (r.chance(0.05) ? r.pick(INVALID_KEYS) : r.pick(VALID_KEYS));
const isValidName = (n: string) => VALID_NAMES.includes(n);
const isValidKey = (k: string) => VALID_KEYS.includes(k);

interface Step {
  words: string[];
  /** Applies the command to the model and says the exit code the CLI must give. */
  apply(model: Model): number;
}

function configWrite(target: (m: Model) => ConfigVars | undefined, r: Picker, scopeWords: string[]): Step {
  const kind = r.pick(['set', 'set', 'set', 'unset', 'clear'] as const);
  const noRestart = r.chance(0.2) ? ['--no-restart'] : [];
  if (kind === 'set') {
    const pairs: Array<[string, string]> = Array.from({ length: 1 + r.int(3) }, () => [key(r), value(r)]);
    const encoded = r.chance(0.2);
    const words = pairs.map(([k, v]) => `${k}=${encoded ? Buffer.from(v).toString('base64') : v}`);
    return {
      words: ['config:set', ...scopeWords, ...(encoded ? ['--encoded'] : []), ...noRestart, ...words],
      apply(m) {
        const vars = target(m);
        if (vars === undefined || !pairs.every(([k]) => isValidKey(k))) return 1;
        for (const [k, v] of pairs) vars[k] = v;
        return 0;
      },
    };
  }
  if (kind === 'unset') {
    const keys = Array.from({ length: 1 + r.int(3) }, () => key(r));
    return {
      words: ['config:unset', ...scopeWords, ...noRestart, ...keys],
      apply(m) {
        const vars = target(m);
        if (vars === undefined || !keys.every(isValidKey)) return 1;
        for (const k of keys) delete vars[k];
        return 0;
      },
    };
  }
  return {
    words: ['config:clear', ...scopeWords, ...noRestart],
    apply(m) {
      const vars = target(m);
      if (vars === undefined) return 1;
      for (const k of Object.keys(vars)) delete vars[k];
      return 0;
    },
  };
}

function randomStep(r: Picker): Step {
  const n = name(r);
  const appConfig = (m: Model) => (isValidName(n) ? m.apps.get(n)?.config : undefined);
  switch (r.pick(['create', 'create', 'rename', 'destroy', 'lock', 'unlock', 'config', 'config', 'config', 'config', 'global'] as const)) {
    case 'create':
      return {
        words: ['apps:create', n],
        apply(m) {
          if (!isValidName(n) || m.apps.has(n)) return 1;
          m.apps.set(n, { config: {}, locked: false });
          return 0;
        },
      };
    case 'rename': {
      const to = name(r);
      return {
        words: ['apps:rename', n, to],
        apply(m) {
          const app = m.apps.get(n);
          if (!isValidName(n) || !isValidName(to) || !app || to === n || m.apps.has(to)) return 1;
          m.apps.delete(n);
          m.apps.set(to, app);
          return 0;
        },
      };
    }
    case 'destroy':
      return {
        words: ['apps:destroy', n, '--force'],
        apply(m) {
          if (!isValidName(n) || !m.apps.has(n)) return 1;
          m.apps.delete(n);
          return 0;
        },
      };
    case 'lock':
    case 'unlock': {
      const lock = r.chance(0.5);
      return {
        words: [lock ? 'apps:lock' : 'apps:unlock', n],
        apply(m) {
          const app = isValidName(n) ? m.apps.get(n) : undefined;
          if (!app) return 1;
          app.locked = lock;
          return 0;
        },
      };
    }
    case 'config':
      return configWrite(appConfig, r, [n]);
    case 'global':
      return configWrite((m) => m.global, r, ['--global']);
  }
}

/** Runs one command line in-process, exactly as main() does after it has the words. */
async function dokku(words: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => void out.push(l), err: (l) => void err.push(l), stdin: process.stdin, stdinIsTTY: false };
  const ctx = createContext(loadSettings({ DOKKU_ROOT: root }), { NAME: 'model' }, io);
  const code = await runCommand(words, ctx);
  return { code, out, err };
}

async function withStore<T>(fn: (store: EventStore) => T): Promise<T> {
  const db = await openDatabase(join(root, 'dokku.db'));
  try {
    return fn(new EventStore(db));
  } finally {
    db.close();
  }
}


/** Each live app's id by its name, as the log's own app events tell it. */
function idsByNameInLog(store: EventStore): Map<string, string> {
  const names = new Map<string, string>();
  for (const e of store.readAll(0)) {
    const id = appIdOf(e.stream);
    if (id === undefined) continue;
    if (e.type === 'AppCreated') names.set(id, e.data.name);
    else if (e.type === 'AppRenamed') names.set(id, e.data.to);
    else if (e.type === 'AppDestroyed') names.delete(id);
  }
  return new Map([...names].map(([id, name]) => [name, id]));
}

type Snapshot = Record<string, { locked: boolean; config: ConfigVars }>;

const sortKeys = (vars: ConfigVars): ConfigVars => Object.fromEntries(Object.entries(vars).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

async function checkAgreement(model: Model, label: string): Promise<void> {
  await withStore((store) => {
    const idByName = idsByNameInLog(store);
    const fromTables: Snapshot = {};
    const rows = store.db.prepare('SELECT id, name, locked FROM apps').all<{ id: string; name: string; locked: number }>();
    for (const row of rows) {
      const config: ConfigVars = {};
      for (const c of store.db.prepare('SELECT key, value FROM config WHERE scope = ? ORDER BY key').all<{ key: string; value: string }>(row.id)) {
        config[c.key] = c.value;
      }
      fromTables[row.name] = { locked: row.locked === 1, config };
      expect(idByName.get(row.name), `${label}: ${row.name} has the id its stream has`).toBe(row.id);
    }
    expect(rows.length, `${label}: apps in the tables vs live apps in the log`).toBe(idByName.size);
    const globalTable: ConfigVars = {};
    for (const c of store.db.prepare("SELECT key, value FROM config WHERE scope = '' ORDER BY key").all<{ key: string; value: string }>()) {
      globalTable[c.key] = c.value;
    }
    const orphans = store.db.prepare("SELECT count(*) AS n FROM config WHERE scope <> '' AND scope NOT IN (SELECT id FROM apps)").get<{ n: number }>();
    expect(orphans?.n, `${label}: config rows of apps that no longer exist`).toBe(0);

    const fromModel: Snapshot = {};
    for (const [n, a] of model.apps) fromModel[n] = { locked: a.locked, config: sortKeys(a.config) };

    expect(fromTables, `${label}: projection tables vs the model`).toEqual(fromModel);
    expect(globalTable, `${label}: global config table vs the model`).toEqual(sortKeys(model.global));
  });
}

describe(`randomized commands against the model (seed ${seed})`, () => {
  it(`${COMMANDS} commands: exit codes and state agree, and state:rebuild changes nothing`, async () => {
    const model: Model = { apps: new Map(), global: {} };
    let failures = 0;
    for (let i = 1; i <= COMMANDS; i++) {
      const step = randomStep(rand);
      const expected = step.apply(model);
      const result = await dokku(step.words);
      const where = `seed ${seed}, command ${i}: dokku ${JSON.stringify(step.words)}`;
      expect(result.code, `${where}\n${result.err.join('\n')}`).toBe(expected);
      if (expected !== 0) {
        failures++;
        expect(result.err[0], where).toMatch(/^ !     \S/);
      }
      if (i % 300 === 0) await checkAgreement(model, `seed ${seed}, after ${i} commands`);
    }
    // Both outcomes were exercised in earnest, and the apps were busy.
    expect(failures).toBeGreaterThan(COMMANDS * 0.05);
    expect(failures).toBeLessThan(COMMANDS * 0.7);
    const events = await withStore((s) => s.lastPosition());
    expect(events).toBeGreaterThan(COMMANDS * 0.3);

    const before = await withStore((s) => dumpProjections(s.db));
    await withStore((store) => expect(store.rebuildProjections()).toBe(events));
    expect(await withStore((s) => dumpProjections(s.db)), `seed ${seed}: rebuilt projections`).toEqual(before);

    const viaCli = await dokku(['state:rebuild']);
    expect(viaCli.code).toBe(0);
    expect(viaCli.out[0]).toMatch(new RegExp(`^-----> Rebuilt state from ${events} events in `));
    expect(await withStore((s) => dumpProjections(s.db)), `seed ${seed}: projections after state:rebuild`).toEqual(before);

    const verify = await dokku(['events:verify']);
    expect(verify.out).toHaveLength(1);
    expect(verify.out[0]).toMatch(new RegExp(`^-----> Event log verified: ${events} events, hash chain intact; head ${events} [0-9a-f]{64}$`));
    await checkAgreement(model, `seed ${seed}, at the end`);
  });
});
