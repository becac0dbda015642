import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bindCli,
  childEnv,
  eventRows,
  fingerprint,
  makeRoot,
  onTerminal,
  REPO,
  removeRoots,
  requireDist,
  STACK_TRACE,
  TARGETS,
  withDb,
  type Cli,
  type Target,
} from '../helpers/cli.ts';

/**
 * The foundation's commands as a user runs them: real processes on a temporary DOKKU_ROOT, once
 * against the compiled binary (bun:sqlite) and once against the Node bundle (better-sqlite3).
 */

beforeAll(requireDist);
afterAll(removeRoots);

const FOUNDATION_COMMANDS = [
  'apps:create',
  'apps:list',
  'apps:exists',
  'apps:report',
  'apps:rename',
  'apps:destroy',
  'apps:lock',
  'apps:unlock',
  'apps:locked',
  'config',
  'config:show',
  'config:get',
  'config:set',
  'config:unset',
  'config:keys',
  'config:clear',
  'config:export',
  'events',
  'events:verify',
  'state:rebuild',
  'version',
  'help',
];

/** Values that must survive set → get → export byte for byte. */
const TRICKY: Record<string, string> = {
  NEWLINES: 'line1\nline2\n\n',
  SINGLE: "it's 'quoted'",
  DOUBLE: 'say "hi"',
  DOLLAR: '$HOME ${PATH} $(id) `id`',
  BACKSLASH: 'C:\\dir\\ \\n \\\\',
  UNICODE: 'é ✓ 🚀 日本',
  SPACES: '  padded  ',
  EMPTY: '',
  EQUALS: '==a=b',
  DASHES: '--not-an-option',
  MIXED: `'"\\$\`\n\t#;&|<>`,
};

const sh = (script: string, input: string): string[] => {
  const r = spawnSync('sh', ['-c', script], { input, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\0').slice(0, -1);
};

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

describe.each(TARGETS)('dokku CLI ($name, $driver)', (target: Target) => {
  const fresh = (): Cli => bindCli(target, makeRoot(`dokku-e2e-${target.name}-`));

  /** Asserts a user error: one ` !     ` line (plus a usage line for usage errors), no stack, the exit code. */
  const expectError = (r: { code: number; stderr: string }, code: number, message: RegExp) => {
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).not.toMatch(STACK_TRACE);
    const [first, ...rest] = lines(r.stderr);
    expect(first).toMatch(/^ !     /);
    expect(first!.slice(7)).toMatch(message);
    for (const l of rest) expect(l).toMatch(/^Usage: dokku /);
  };

  describe('help and version', () => {
    it('help --all lists every foundation command, with no arguments and with --help too', () => {
      const dokku = fresh();
      for (const words of [['help', '--all'], [], ['--help'], ['-h']]) {
        const r = dokku(...words);
        expect(r.code, words.join(' ')).toBe(0);
        for (const c of FOUNDATION_COMMANDS) expect(r.stdout).toContain(`  ${c} `);
      }
    });

    it('version prints the package version', () => {
      const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
      const dokku = fresh();
      expect(dokku.ok('version')).toBe(`dokku ${version}\n`);
      expect(dokku.ok('--version')).toContain(version);
    });

    it.each(FOUNDATION_COMMANDS)('%s --help prints its usage and does nothing', (command) => {
      const dokku = fresh();
      const r = dokku(command, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Usage:\\n  \\$ dokku ${command}\\b`));
      expect(fingerprint(dokku.root).events).toBe(0);
    });

    it('--help after arguments still only prints help', () => {
      const dokku = fresh();
      expect(dokku.ok('apps:create', 'web', '--help')).toContain('$ dokku apps:create <app>');
      expect(dokku('apps:exists', 'web').code).toBe(1);
    });
  });

  describe('apps', () => {
    it('creates, lists (text and json) and checks existence', () => {
      const dokku = fresh();
      expect(dokku.ok('apps:create', 'web')).toBe('-----> Creating web...\n');
      dokku.ok('apps:create', 'api');
      expect(dokku.ok('apps:list')).toBe('api\nweb\n');
      expect(onTerminal(target, dokku.root, ['apps:list']).stdout).toBe('=====> My Apps\napi\nweb\n');
      expect(dokku.ok('apps:list', '--format', 'json')).toBe('["api","web"]\n');
      const json = JSON.parse(dokku.ok('apps:list', '--format', 'json-detail')) as Array<{ name: string; created_at: string; locked: boolean }>;
      expect(json.map((a) => [a.name, a.locked])).toEqual([
        ['api', false],
        ['web', false],
      ]);
      for (const a of json) expect(Number.isNaN(Date.parse(a.created_at))).toBe(false);
      expect(dokku('apps:exists', 'web')).toMatchObject({ code: 0, stdout: '' });
      expectError(dokku('apps:exists', 'nope'), 1, /^App nope does not exist$/);
      expectError(dokku('apps:create', 'web'), 1, /^Name is already taken: web$/);
    });

    it('an empty list is still a list', () => {
      const dokku = fresh();
      expect(dokku.ok('apps:list')).toBe('');
      expect(onTerminal(target, dokku.root, ['apps:list']).stdout).toBe('=====> My Apps\n');
      expect(JSON.parse(dokku.ok('apps:list', '--format', 'json'))).toEqual([]);
      expect(JSON.parse(dokku.ok('apps:list', '--format', 'json-detail'))).toEqual([]);
    });

    it('reports one app or all, as text and json', () => {
      const dokku = fresh();
      dokku.ok('apps:create', 'web');
      dokku.ok('apps:create', 'api');
      dokku.ok('apps:lock', 'api');
      const text = lines(onTerminal(target, dokku.root, ['apps:report', 'web']).stdout);
      expect(text[0]).toBe('=====> web app information');
      expect(lines(dokku.ok('apps:report', 'web'))).toEqual(text.slice(1));
      // Every field is a "Label: value" row, values aligned in one column.
      for (const l of text.slice(1)) expect(l).toMatch(/^ {7}[A-Z][A-Za-z -]*:( +\S.*)?$/);
      const valueColumns = text.slice(1).filter((l) => /: +\S/.test(l)).map((l) => l.search(/: +\S/) + l.slice(l.indexOf(':')).search(/ \S/) + 1);
      expect(new Set(valueColumns).size).toBe(1);
      const field = (label: string) => text.find((l) => l.startsWith(`       ${label}:`))?.replace(/^ {7}[^:]+: +/, '');
      expect(field('App dir')).toBe(join(dokku.root, 'web'));
      expect(field('App locked')).toBe('false');
      expect(Number.isNaN(Date.parse(field('App created at')!))).toBe(false);
      const one = JSON.parse(dokku.ok('apps:report', 'web', '--format', 'json')) as Record<string, string>;
      expect(Object.keys(one)).toEqual(expect.arrayContaining(['app-created-at', 'app-dir', 'app-locked']));
      expect(one['app-created-at']).toBe(field('App created at'));
      expect(one['app-locked']).toBe('false');
      expect(one['app-dir']).toBe(join(dokku.root, 'web'));
      // Every app: one compact object per line, in the order of the names, as Dokku prints them.
      const all = lines(dokku.ok('apps:report', '--format', 'json')).map((l) => JSON.parse(l) as Record<string, string>);
      expect(all.map((r) => r['app-dir'])).toEqual([join(dokku.root, 'api'), join(dokku.root, 'web')]);
      expect(all[0]!['app-locked']).toBe('true');
      expect(lines(onTerminal(target, dokku.root, ['apps:report']).stdout).filter((l) => l.startsWith('=====>'))).toEqual([
        '=====> api app information',
        '=====> web app information',
      ]);
      expectError(dokku('apps:report', 'nope'), 1, /^App nope does not exist$/);
    });

    it("every namespace's :report shows one app or all, keyed by app in json, and --global the global settings", () => {
      const dokku = fresh();
      dokku.ok('apps:create', 'web');
      dokku.ok('apps:create', 'api');
      const reports: Array<[command: string, title: string]> = [
        ['builder:report', 'builder'],
        ['checks:report', 'checks'],
        ['domains:report', 'domains'],
        ['git:report', 'git'],
        ['letsencrypt:report', 'letsencrypt'],
        ['ports:report', 'ports'],
        ['nginx:report', 'nginx'],
        ['certs:report', 'ssl'],
        ['proxy:report', 'proxy'],
      ];
      for (const [command, title] of reports) {
        const shown = (...words: string[]) => lines(onTerminal(target, dokku.root, [command, ...words]).stdout);
        expect(shown().filter((l) => l.startsWith('=====>')), command).toEqual([`=====> api ${title} information`, `=====> web ${title} information`]);
        expect(shown('web')[0], command).toBe(`=====> web ${title} information`);
        expect(lines(dokku.ok(command, 'web')), command).toEqual(shown('web').slice(1));
        const all = lines(dokku.ok(command, '--format', 'json'));
        expect(all, command).toHaveLength(2);
        expect(JSON.parse(all[1]!), command).toEqual(JSON.parse(dokku.ok(command, 'web', '--format', 'json')));
        expectError(dokku(command, 'nope'), 1, /^App nope does not exist$/);
      }
      dokku.ok('letsencrypt:set', '--global', 'email', 'ops@example.test');
      expect(lines(onTerminal(target, dokku.root, ['letsencrypt:report', '--global']).stdout)[0]).toBe('=====> Global letsencrypt information');
      expect(JSON.parse(dokku.ok('letsencrypt:report', '--global', '--format', 'json'))).toMatchObject({ 'letsencrypt-email': 'ops@example.test' });
      expect(JSON.parse(dokku.ok('letsencrypt:report', 'web', '--format', 'json'))).toMatchObject({ 'letsencrypt-email': 'ops@example.test', 'letsencrypt-active': 'false' });
      expect(lines(onTerminal(target, dokku.root, ['domains:report', '--global']).stdout)).toEqual([
        '=====> Global domains information',
        '       Domains global enabled:        false',
        '       Domains global vhosts:',
      ]);
    });

    it('renames, keeping config, lock and history', () => {
      const dokku = fresh();
      dokku.ok('apps:create', 'web');
      dokku.ok('config:set', 'web', 'A=1');
      dokku.ok('apps:lock', 'web');
      expect(dokku.ok('apps:rename', 'web', 'www')).toBe('-----> Renaming web to www... done\n');
      expect(dokku.ok('apps:list')).toBe('www\n');
      expect(dokku.ok('config:get', 'www', 'A')).toBe('1\n');
      expect(dokku('apps:locked', 'www').code).toBe(0);
      expect(dokku('apps:exists', 'web').code).toBe(1);
      const history = JSON.parse(dokku.ok('events', 'www', '--format', 'json')) as Array<{ type: string; app: string }>;
      expect(history.map((e) => e.type)).toEqual(['AppCreated', 'ConfigSet', 'AppLocked', 'AppRenamed']);
      expect(new Set(history.map((e) => e.app))).toEqual(new Set(['www']));
      // The old name is free again.
      dokku.ok('apps:create', 'web');
      expectError(dokku('apps:rename', 'web', 'www'), 1, /^Name is already taken: www$/);
      expectError(dokku('apps:rename', 'www', 'www'), 1, /^App is already named www$/);
    });

    it('destroy refuses without --force when there is no terminal, and appends nothing', () => {
      const dokku = fresh();
      dokku.ok('apps:create', 'web');
      const before = fingerprint(dokku.root);
      expectError(dokku('apps:destroy', 'web'), 1, /^Refusing to destroy web without confirmation: pass --force$/);
      expect(fingerprint(dokku.root)).toEqual(before);
      expect(dokku('apps:exists', 'web').code).toBe(0);
    });

    it('destroy with --force removes the app and its config; its history stays readable', () => {
      const dokku = fresh();
      dokku.ok('apps:create', 'web');
      dokku.ok('config:set', 'web', 'A=1');
      expect(dokku.ok('apps:destroy', 'web', '--force')).toBe('-----> Destroying web (including all add-ons)\n');
      expect(dokku('apps:exists', 'web').code).toBe(1);
      expect(dokku.ok('apps:list')).toBe('');
      withDb(dokku.root, (db) => expect(db.prepare('SELECT count(*) AS n FROM config').get()).toEqual({ n: 0 }));
      expect(lines(dokku.ok('events', 'web')).map((l) => l.trim().split(/\s{2,}/)[4])).toEqual(['AppCreated', 'ConfigSet', 'AppDestroyed']);
      // A new app of the same name starts clean.
      dokku.ok('apps:create', 'web');
      expect(dokku('config:get', 'web', 'A').code).toBe(1);
    });

    it('destroy at a terminal asks for the name and goes ahead only when it matches', () => {
      const dokku = fresh();
      dokku.ok('apps:create', 'web');
      const atTerminal = (answer: string) => {
        const command = [target.command, ...target.args, 'apps:destroy', 'web'].map((w) => `'${w}'`).join(' ');
        return spawnSync('script', ['-qec', command, '/dev/null'], { input: `${answer}\n`, env: childEnv(dokku.root), encoding: 'utf8' });
      };
      const wrong = atTerminal('webb');
      expect(wrong.status).toBe(1);
      expect(wrong.stdout).toContain('To proceed, type "web"');
      expect(wrong.stdout).toContain(' !     Confirmation did not match web. Aborted.');
      expect(dokku('apps:exists', 'web').code).toBe(0);
      const right = atTerminal('web');
      expect(right.status).toBe(0);
      expect(right.stdout).toContain('-----> Destroying web');
      expect(dokku('apps:exists', 'web').code).toBe(1);
    });

    it('locks and unlocks; locked answers with its exit code', () => {
      const dokku = fresh();
      dokku.ok('apps:create', 'web');
      expect(dokku('apps:locked', 'web')).toMatchObject({ code: 1, stdout: 'Deploy lock does not exist\n' });
      expect(dokku.ok('apps:lock', 'web')).toBe('-----> Deploy lock created\n');
      expect(dokku('apps:locked', 'web')).toMatchObject({ code: 0, stdout: 'Deploy lock exists\n' });
      const events = fingerprint(dokku.root).events;
      dokku.ok('apps:lock', 'web');
      expect(fingerprint(dokku.root).events).toBe(events);
      expect(dokku.ok('apps:unlock', 'web')).toBe('-----> Deploy lock removed\n');
      expect(dokku('apps:locked', 'web').code).toBe(1);
      expectError(dokku('apps:locked', 'nope'), 1, /^App nope does not exist$/);
    });

    it('a boolean flag before a numeric app name leaves the name alone', () => {
      const dokku = fresh();
      dokku.ok('apps:create', '007');
      dokku.ok('apps:create', '7');
      dokku.ok('apps:destroy', '--force', '007');
      expect(dokku.ok('apps:list')).toBe('7\n');
      dokku.ok('apps:create', 'true');
      dokku.ok('config:set', '--global', 'G=1');
      expect(dokku.ok('config:get', '--merged', 'true', 'G')).toBe('1\n');
    });

    it('the database file is private to its owner', () => {
      const dokku = fresh();
      dokku.ok('apps:create', 'web');
      expect(statSync(join(dokku.root, 'dokku.db')).mode & 0o777).toBe(0o600);
    });
  });

  describe('config', () => {
    it('sets, shows, gets, lists keys, unsets and clears', () => {
      const dokku = fresh();
      dokku.ok('apps:create', 'web');
      expect(dokku.ok('config:set', 'web', 'B=2', 'LONGER_KEY=x', 'A=1')).toBe(
        '-----> Setting config vars\n       B\n       LONGER_KEY\n       A\n',
      );
      const shown = 'A:          1\nB:          2\nLONGER_KEY: x\n';
      expect(dokku.ok('config', 'web')).toBe(shown);
      expect(dokku.ok('config:show', 'web')).toBe(shown);
      expect(dokku.ok('config:get', 'web', 'B')).toBe('2\n');
      expect(dokku('config:get', 'web', 'MISSING')).toEqual({ code: 1, stdout: '', stderr: '' });
      expect(dokku.ok('config:keys', 'web')).toBe('A\nB\nLONGER_KEY\n');
      expect(dokku.ok('config:unset', 'web', 'A', 'B')).toBe('-----> Unsetting config vars\n       A\n       B\n');
      expect(dokku.ok('config:keys', 'web')).toBe('LONGER_KEY\n');
      expect(dokku.ok('config:unset', 'web', 'A')).toBe('-----> No config vars changed\n');
      expect(dokku.ok('config:clear', 'web')).toBe('-----> Clearing config vars\n');
      expect(dokku.ok('config:clear', 'web')).toBe('-----> No config vars to clear\n');
      expect(dokku.ok('config', 'web')).toBe('');
    });

    it('setting a value it already has appends nothing', () => {
      const dokku = fresh();
      dokku.ok('apps:create', 'web');
      dokku.ok('config:set', 'web', 'A=1');
      const before = fingerprint(dokku.root);
      expect(dokku.ok('config:set', 'web', 'A=1')).toBe('-----> No config vars changed\n');
      expect(fingerprint(dokku.root)).toEqual(before);
    });

    it('--encoded takes base64 values, --no-restart is accepted and records the change', () => {
      const dokku = fresh();
      dokku.ok('apps:create', 'web');
      const value = 'multi\nline "secret" $x é';
      dokku.ok('config:set', '--encoded', 'web', `ENC=${Buffer.from(value).toString('base64')}`);
      expect(dokku.ok('config:get', 'web', 'ENC')).toBe(`${value}\n`);
      dokku.ok('config:set', 'web', '--no-restart', 'NR=1');
      expect(dokku.ok('config:get', 'web', 'NR')).toBe('1\n');
      dokku.ok('config:unset', '--no-restart', 'web', 'NR');
      expect(dokku('config:get', 'web', 'NR').code).toBe(1);
    });

    it('--quoted prints a value a shell reads back exactly', () => {
      const dokku = fresh();
      dokku.ok('apps:create', 'web');
      for (const [k, v] of Object.entries(TRICKY)) {
        dokku.ok('config:set', 'web', `${k}=${v}`);
        const quoted = dokku.ok('config:get', 'web', k, '--quoted');
        expect(sh(`eval "V=$(cat)"; printf '%s\\0' "$V"`, quoted), k).toEqual([v]);
      }
    });

    it('values keep every byte through set → get → export in every format', () => {
      const dokku = fresh();
      dokku.ok('apps:create', 'web');
      dokku.ok('config:set', 'web', ...Object.entries(TRICKY).map(([k, v]) => `${k}=${v}`));
      const keys = Object.keys(TRICKY).sort();
      for (const k of keys) expect(dokku.ok('config:get', 'web', k), k).toBe(`${TRICKY[k]}\n`);

      const shell = dokku.ok('config:export', 'web');
      expect(dokku.ok('config:export', 'web', '--format', 'exports')).toBe(shell);
      expect(dokku.ok('config:show', 'web', '--export')).toBe(shell);
      const printAll = keys.map((k) => `printf '%s\\0' "$${k}"`).join('; ');
      expect(sh(`eval "$(cat)"; ${printAll}`, shell)).toEqual(keys.map((k) => TRICKY[k]));
      // Dokku's one-line form, and its older spelling.
      const oneLine = dokku.ok('config:export', 'web', '--format', 'shell');
      // One line of words (TRICKY's values hold line breaks of their own, inside their quotes).
      expect(oneLine).toMatch(new RegExp(`^${keys[0]}='`));
      expect(oneLine).not.toMatch(/^export /m);
      expect(dokku.ok('config:show', 'web', '--shell')).toBe(oneLine);
      expect(sh(`eval "$(cat)"; ${printAll}`, oneLine)).toEqual(keys.map((k) => TRICKY[k]));
      expect(JSON.parse(dokku.ok('config:export', 'web', '--format', 'json-list'))).toEqual(keys.map((k) => ({ name: k, value: TRICKY[k] })));
      expect(dokku.ok('config:export', 'web', '--format', 'docker-args-keys')).toBe(`${keys.map((k) => `--env=${k}`).join(' ')}\n`);

      expect(JSON.parse(dokku.ok('config:export', 'web', '--format', 'json'))).toEqual(TRICKY);

      const envfile = lines(dokku.ok('config:export', 'web', '--format', 'envfile'));
      expect(envfile).toHaveLength(keys.length);
      const unescaped = Object.fromEntries(
        envfile.map((l) => {
          const eq = l.indexOf('=');
          return [l.slice(0, eq), l.slice(eq + 2, -1).replace(/\\(.)/g, (_, c: string) => ({ n: '\n', r: '\r' })[c] ?? c)];
        }),
      );
      expect(unescaped).toEqual(TRICKY);

      const dockerArgs = dokku.ok('config:export', 'web', '--format', 'docker-args');
      expect(sh(`eval "set -- $(cat)"; for a in "$@"; do printf '%s\\0' "$a"; done`, dockerArgs)).toEqual(
        keys.map((k) => `--env=${k}=${TRICKY[k]}`),
      );

      // `config` shows them too (a display, so only check it holds each one-line value).
      const shown = dokku.ok('config', 'web');
      for (const k of ['SINGLE', 'DOUBLE', 'DOLLAR', 'UNICODE']) expect(shown).toContain(`${k}: `.padEnd(11) + TRICKY[k]);
    });

    it('global config, app precedence and --merged', () => {
      const dokku = fresh();
      dokku.ok('apps:create', 'web');
      dokku.ok('config:set', '--global', 'SHARED=global', 'ONLY_GLOBAL=g');
      dokku.ok('config:set', 'web', 'SHARED=app', 'ONLY_APP=a');
      expect(dokku.ok('config', '--global')).toBe('ONLY_GLOBAL: g\nSHARED:      global\n');
      expect(dokku.ok('config:get', '--global', 'SHARED')).toBe('global\n');
      expect(dokku.ok('config:get', 'web', 'SHARED')).toBe('app\n');
      expect(dokku('config:get', 'web', 'ONLY_GLOBAL').code).toBe(1);
      expect(dokku.ok('config:get', 'web', 'ONLY_GLOBAL', '--merged')).toBe('g\n');
      expect(dokku.ok('config:get', 'web', 'SHARED', '--merged')).toBe('app\n');
      expect(dokku.ok('config:keys', 'web')).toBe('ONLY_APP\nSHARED\n');
      expect(dokku.ok('config:keys', 'web', '--merged')).toBe('ONLY_APP\nONLY_GLOBAL\nSHARED\n');
      expect(JSON.parse(dokku.ok('config:export', 'web', '--format', 'json'))).toEqual({ SHARED: 'app', ONLY_APP: 'a' });
      expect(JSON.parse(dokku.ok('config:export', 'web', '--merged', '--format', 'json'))).toEqual({
        SHARED: 'app',
        ONLY_APP: 'a',
        ONLY_GLOBAL: 'g',
      });
      expect(JSON.parse(dokku.ok('config:export', '--global', '--format', 'json'))).toEqual({ SHARED: 'global', ONLY_GLOBAL: 'g' });
      expect(dokku.ok('config:export', '--global', '--format', 'envfile')).toBe('ONLY_GLOBAL="g"\nSHARED="global"\n');
      expect(dokku.ok('config:export', '--global', '--format', 'docker-args')).toBe('--env=ONLY_GLOBAL=g --env=SHARED=global\n');
      expect(dokku.ok('config', 'web', '--merged')).toBe('ONLY_APP:    a\nONLY_GLOBAL: g\nSHARED:      app\n');
      dokku.ok('config:unset', '--global', 'SHARED');
      expect(dokku.ok('config:get', 'web', 'SHARED', '--merged')).toBe('app\n');
      dokku.ok('config:clear', '--global');
      expect(dokku.ok('config:export', '--global')).toBe('');
      expect(dokku.ok('config:keys', 'web', '--merged')).toBe('ONLY_APP\nSHARED\n');
    });

    it('config of an app that does not exist is a clear error', () => {
      const dokku = fresh();
      for (const words of [
        ['config', 'nope'],
        ['config:get', 'nope', 'A'],
        ['config:set', 'nope', 'A=1'],
        ['config:unset', 'nope', 'A'],
        ['config:clear', 'nope'],
        ['config:keys', 'nope'],
        ['config:export', 'nope'],
      ]) {
        expectError(dokku(...words), 1, /^App nope does not exist$/);
      }
    });
  });

  describe('words checked by the rule the build uses', () => {
    it('ps:scale takes a process type as the Procfile does, case kept', () => {
      const dokku = fresh();
      dokku.ok('apps:create', 'web');
      expect(dokku.ok('ps:scale', 'web', 'Worker=1', 'clock_2=0')).toBe('-----> Scaling web processes: Worker=1 clock_2=0\n');
      expect(dokku.ok('ps:scale', 'web')).toBe('proctype: qty\n--------: ---\nWorker:   1\nclock_2:  0\n');
    });

    it('checks:report shows the defaults before anything is set, and a setting once set', () => {
      const dokku = fresh();
      dokku.ok('apps:create', 'web');
      const report = () => JSON.parse(dokku.ok('checks:report', 'web', '--format', 'json')) as Record<string, string>;
      expect(report()).toEqual({
        'checks-disabled-list': 'none',
        'checks-skipped-list': 'none',
        'checks-enabled': 'true',
        'checks-skipped': 'false',
        'checks-wait': '1',
        'checks-timeout': '5',
        'checks-attempts': '5',
        'checks-wait-to-retire': '5',
      });
      dokku.ok('checks:set', 'web', 'wait-to-retire', '60');
      expect(report()['checks-wait-to-retire']).toBe('60');
      dokku.ok('checks:set', 'web', 'wait-to-retire');
      expect(report()['checks-wait-to-retire']).toBe('5');
    });

    it('buildpacks:add takes a git URL in scp form and a built-in name, and lists them', () => {
      const dokku = fresh();
      dokku.ok('apps:create', 'web');
      dokku.ok('buildpacks:add', 'web', 'git@github.com:heroku/heroku-buildpack-ruby.git');
      dokku.ok('buildpacks:add', 'web', 'heroku/nodejs');
      expect(dokku.ok('buildpacks:list', 'web', '--format', 'json')).toBe(`${JSON.stringify(['git@github.com:heroku/heroku-buildpack-ruby.git', 'heroku/nodejs'], null, 2)}\n`);
      expect(dokku.ok('builder:set', 'web', 'selected', 'dockerfile')).toBe('-----> Set builder selected to dockerfile\n');
    });
  });

  describe('events', () => {
    const seeded = (): Cli => {
      const dokku = fresh();
      dokku.with({ env: { NAME: 'alice' } }, 'apps:create', 'web');
      dokku.with({ env: { NAME: 'bob' } }, 'config:set', 'web', 'SECRET=hunter2-value', 'OTHER=p@ssw0rd-value');
      dokku.with({ env: { NAME: 'bob' } }, 'config:set', '--global', 'GLOBAL_SECRET=global-s3cret');
      dokku.with({ env: { NAME: 'carol' } }, 'apps:create', 'api');
      dokku.with({ env: { NAME: 'carol' } }, 'config:unset', 'web', 'OTHER');
      dokku.with({ env: { NAME: 'dave' } }, 'apps:lock', 'web');
      return dokku;
    };
    const SECRETS = ['hunter2-value', 'p@ssw0rd-value', 'global-s3cret'];

    it('shows time, actor, app, type and a summary, and never a config value', () => {
      const dokku = seeded();
      const text = dokku.ok('events');
      for (const s of SECRETS) expect(text).not.toContain(s);
      const rows = lines(text).map((l) => l.trim().split(/\s{2,}/));
      expect(rows.map(([pos, , actor, app, type, summary]) => [pos, actor, app, type, summary])).toEqual([
        ['1', 'alice', 'web', 'AppCreated', 'Created web'],
        ['2', 'bob', 'web', 'ConfigSet', 'Set SECRET, OTHER'],
        ['3', 'bob', '-', 'ConfigSet', 'Set GLOBAL_SECRET'],
        ['4', 'carol', 'api', 'AppCreated', 'Created api'],
        ['5', 'carol', 'web', 'ConfigUnset', 'Unset OTHER'],
        ['6', 'dave', 'web', 'AppLocked', 'Locked'],
      ]);
      for (const r of rows) expect(r[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    });

    it('--format json carries keys, not values', () => {
      const dokku = seeded();
      const raw = dokku.ok('events', '--format', 'json');
      for (const s of SECRETS) expect(raw).not.toContain(s);
      const entries = JSON.parse(raw) as Array<Record<string, unknown>>;
      expect(entries).toHaveLength(6);
      expect(Object.keys(entries[0]!).sort()).toEqual(['actor', 'app', 'at', 'data', 'position', 'summary', 'type']);
      expect(entries[1]).toMatchObject({ position: 2, actor: 'bob', app: 'web', type: 'ConfigSet', data: { keys: ['SECRET', 'OTHER'] } });
      // The values are in the log itself (a release needs them), only the audit view hides them.
      expect(eventRows(dokku.root)[1]!.data).toContain('hunter2-value');
    });

    it('filters by app, by time and by count', () => {
      const dokku = seeded();
      expect(lines(dokku.ok('events', 'api')).map((l) => l.trim().split(/\s{2,}/)[0])).toEqual(['4']);
      expect(lines(dokku.ok('events', 'web')).map((l) => l.trim().split(/\s{2,}/)[0])).toEqual(['1', '2', '5', '6']);
      expect(lines(dokku.ok('events', '-n', '2')).map((l) => l.trim().split(/\s{2,}/)[0])).toEqual(['5', '6']);
      expect(lines(dokku.ok('events', 'web', '--num', '1')).map((l) => l.trim().split(/\s{2,}/)[0])).toEqual(['6']);
      expect(lines(dokku.ok('events', '--since', '1h'))).toHaveLength(6);
      expect(lines(dokku.ok('events', '--since', '2000-01-01'))).toHaveLength(6);
      expect(dokku.ok('events', '--since', '2999-01-01T00:00:00Z')).toBe('');
      // --since takes the exact time of an event as inclusive.
      const at = eventRows(dokku.root)[3]!.at;
      const since = JSON.parse(dokku.ok('events', '--since', at, '--format', 'json')) as Array<{ position: number }>;
      expect(since.map((e) => e.position)[0]).toBeLessThanOrEqual(4);
      expect(since.map((e) => e.position)).toContain(6);
      expectError(dokku('events', 'nope'), 1, /^App nope does not exist$/);
    });

    it('the actor is NAME from the environment, else the Unix user', () => {
      const dokku = fresh();
      dokku.with({ env: { NAME: 'deploy-key-1' } }, 'apps:create', 'web');
      dokku.ok('apps:create', 'api');
      expect(eventRows(dokku.root).map((e) => e.actor)).toEqual(['deploy-key-1', userInfo().username]);
    });

    it('events:verify passes on an intact log and names the first altered position', () => {
      const dokku = seeded();
      expect(dokku.ok('events:verify')).toMatch(/^-----> Event log verified: 6 events, hash chain intact; head 6 [0-9a-f]{64}\n$/);
      withDb(dokku.root, (db) => db.prepare(`UPDATE events SET data = '{"vars":{"SECRET":"x"}}' WHERE position = 2`).run());
      expectError(dokku('events:verify'), 1, /^Event log altered at position 2: event 2 does not match its hash$/);
      withDb(dokku.root, (db) => db.prepare('DELETE FROM events WHERE position = 2').run());
      expectError(dokku('events:verify'), 1, /^Event log altered at position 2: event 2 is missing$/);
    });

    it('events:verify on an empty log', () => {
      expect(fresh().ok('events:verify')).toMatch(/^-----> Event log verified: 0 events, hash chain intact; head 0 [0-9a-f]{64}\n$/);
    });
  });

  describe('state:rebuild', () => {
    it('refolds the projections to exactly what they were', () => {
      const dokku = fresh();
      dokku.ok('apps:create', 'web');
      dokku.ok('apps:create', 'api');
      dokku.ok('config:set', 'web', 'A=1', 'B=2');
      dokku.ok('config:set', '--global', 'G=1');
      dokku.ok('apps:rename', 'api', 'www');
      dokku.ok('apps:lock', 'www');
      dokku.ok('config:unset', 'web', 'A');
      dokku.ok('apps:create', 'gone');
      dokku.ok('apps:destroy', 'gone', '--force');
      const before = fingerprint(dokku.root);
      withDb(dokku.root, (db) => {
        db.prepare('DELETE FROM apps').run();
        db.prepare('DELETE FROM config').run();
      });
      expect(fingerprint(dokku.root)).not.toEqual(before);
      expect(dokku.ok('state:rebuild')).toMatch(/^-----> Rebuilt state from 9 events in \d+\.\d\ds\n$/);
      expect(fingerprint(dokku.root)).toEqual(before);
      expect(dokku.ok('apps:list')).toBe('web\nwww\n');
    });
  });

  describe('SSH entry (SSH_ORIGINAL_COMMAND, no arguments)', () => {
    const ssh = (dokku: Cli, command: string, name = 'ssh-key') => dokku.with({ env: { SSH_ORIGINAL_COMMAND: command, NAME: name } });

    it('dispatches the words exactly as argv would', () => {
      const dokku = fresh();
      dokku.ok('apps:create', 'web');
      dokku.ok('config:set', 'web', 'A=two words', 'B=x');
      const cases: Array<[string, string[]]> = [
        ['apps:list', ['apps:list']],
        ['apps:list --format json', ['apps:list', '--format', 'json']],
        ["config:get web 'A'", ['config:get', 'web', 'A']],
        ['config:get web A --quoted', ['config:get', 'web', 'A', '--quoted']],
        ['config:export web --format docker-args', ['config:export', 'web', '--format', 'docker-args']],
        ['config:get web MISSING', ['config:get', 'web', 'MISSING']],
        ['apps:exists nope', ['apps:exists', 'nope']],
        ['apps:create Bad', ['apps:create', 'Bad']],
        ['nope:nope', ['nope:nope']],
        ['apps:create', ['apps:create']],
        ['apps:report web --format json', ['apps:report', 'web', '--format', 'json']],
        ['events web -n 1', ['events', 'web', '-n', '1']],
        ["config:get web 'A;B'", ['config:get', 'web', 'A;B']],
        ['apps:exists a&b', ['apps:exists', 'a&b']],
        ['apps:list # comment', ['apps:list', '#', 'comment']],
        ['version', ['version']],
      ];
      for (const [command, argv] of cases) {
        const viaSsh = ssh(dokku, command);
        const viaArgv = dokku.with({ env: { NAME: 'ssh-key' } }, ...argv);
        expect(viaSsh, command).toEqual(viaArgv);
      }
    });

    it('runs writes with quoted words and records the key name as the actor', () => {
      const dokku = fresh();
      expect(ssh(dokku, 'apps:create web', 'alice').code).toBe(0);
      expect(ssh(dokku, `config:set web 'GREETING=hello "world"' "PRICE=\\$5" ESC=a\\ b`, 'alice').code).toBe(0);
      expect(dokku.ok('config:get', 'web', 'GREETING')).toBe('hello "world"\n');
      expect(dokku.ok('config:get', 'web', 'PRICE')).toBe('$5\n');
      expect(dokku.ok('config:get', 'web', 'ESC')).toBe('a b\n');
      expect(eventRows(dokku.root).map((e) => e.actor)).toEqual(['alice', 'alice']);
    });

    it('shell characters are plain characters: the command sees literal words, and nothing else runs', () => {
      const dokku = fresh();
      dokku.ok('apps:create', 'web');
      const before = fingerprint(dokku.root);
      // Each reaches the command as literal words, which its own validation refuses.
      for (const [command, message] of [
        ['apps:create one; apps:create two', 'Unused args: `apps:create`, `two`'],
        ['apps:create one && apps:create two', 'Unused args: `&&`, `apps:create`, `two`'],
        ['apps:create one | apps:create two', 'Unused args: `|`, `apps:create`, `two`'],
        ['apps:create $(echo one)', 'Unused args: `one)`'],
        ['apps:create `echo one`', 'Unused args: `one`'],
        ['apps:create one > /tmp/out', 'Unused args: `>`, `/tmp/out`'],
        ["apps:create 'one;two'", "Invalid app name 'one;two'"],
      ] as const) {
        const r = ssh(dokku, command);
        expect(r.code, command).not.toBe(0);
        expect(r.stdout, command).toBe('');
        expect(lines(r.stderr)[0], command).toMatch(new RegExp(`^ !     ${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      }
      // What would make more than one line of words is refused before any command.
      for (const command of ['apps:create one\napps:create two', "apps:create 'one"]) {
        const r = ssh(dokku, command);
        expect(r.code, command).toBe(1);
        expect(r.stdout).toBe('');
        expect(lines(r.stderr)).toHaveLength(1);
        expect(r.stderr).toMatch(/^ !     Refusing command: .+ at character \d+/);
      }
      expect(fingerprint(dokku.root)).toEqual(before);
      expect(dokku.ok('apps:list')).toBe('web\n');

      // In a value they are kept exactly as typed.
      const set = ssh(dokku, `config:set web 'URL=postgres://u:p@h/db?sslmode=require&pool=5' "K=\${HOME}" A=$(id) B=\`id\`;x --no-restart`);
      expect(set.code, set.stderr).toBe(0);
      expect(dokku.ok('config:get', 'web', 'URL')).toBe('postgres://u:p@h/db?sslmode=require&pool=5\n');
      expect(dokku.ok('config:get', 'web', 'K')).toBe('${HOME}\n');
      expect(dokku.ok('config:get', 'web', 'A')).toBe('$(id)\n');
      expect(dokku.ok('config:get', 'web', 'B')).toBe('`id`;x\n');
    });

    it('with arguments present, SSH_ORIGINAL_COMMAND is not read', () => {
      const dokku = fresh();
      const r = dokku.with({ env: { SSH_ORIGINAL_COMMAND: 'apps:create evil' } }, 'apps:create', 'web');
      expect(r.code).toBe(0);
      expect(dokku.ok('apps:list')).toBe('web\n');
    });

    it('an empty command shows help', () => {
      const r = ssh(fresh(), '');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('apps:create <app>');
    });
  });
});

describe('one database, both drivers', () => {
  it('what the compiled binary writes, the Node bundle reads and extends, and the chain holds', () => {
    const compiled = bindCli(TARGETS.find((t) => t.name === 'compiled')!, makeRoot('dokku-e2e-shared-'));
    const root = compiled.root;
    const viaNode = bindCli(TARGETS.find((t) => t.name === 'node')!, root);
    compiled.ok('apps:create', 'web');
    compiled.ok('config:set', 'web', 'V=é ✓\nline');
    expect(viaNode.ok('config:get', 'web', 'V')).toBe('é ✓\nline\n');
    viaNode.ok('config:set', 'web', 'W=2');
    viaNode.ok('apps:rename', 'web', 'www');
    expect(compiled.ok('config:export', 'www', '--format', 'json')).toBe(viaNode.ok('config:export', 'www', '--format', 'json'));
    expect(compiled.ok('events:verify')).toMatch(/^-----> Event log verified: 4 events, hash chain intact; head 4 [0-9a-f]{64}\n$/);
    expect(viaNode.ok('events:verify')).toMatch(/^-----> Event log verified: 4 events, hash chain intact; head 4 [0-9a-f]{64}\n$/);
    const before = fingerprint(root);
    viaNode.ok('state:rebuild');
    expect(fingerprint(root)).toEqual(before);
    compiled.ok('state:rebuild');
    expect(fingerprint(root)).toEqual(before);
  });
});
