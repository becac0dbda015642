/**
 * config:import, config:bundle and app-json:* on the compiled binary (no Docker: nothing here is
 * deployed, so config changes are recorded for the next release).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTar } from '../../src/lib/tar-read.ts';
import { bindCli, eventRows, makeRoot, removeRoots, requireDist, TARGETS, type Cli, type Target } from '../helpers/cli.ts';

beforeAll(requireDist);
afterAll(removeRoots);

const TRICKY: Record<string, string> = { PLAIN: 'value', QUOTES: `say "hi" it's`, DOLLAR: 'a $HOME `b` \\n', MULTI: 'one\ntwo' };

describe.each(TARGETS)('config:import, config:bundle, app-json ($name)', (target: Target) => {
  let dokku: Cli;
  let root: string;
  beforeAll(() => {
    root = makeRoot();
    dokku = bindCli(target, root);
    dokku.ok('apps:create', 'web');
    dokku.ok('apps:create', 'copy');
  });

  it('imports what config:export writes, envfile and json, as one ConfigSet, and gives back the same bytes', () => {
    dokku.ok('config:set', '--no-restart', 'web', ...Object.entries(TRICKY).map(([k, v]) => `${k}=${v}`));
    for (const format of ['envfile', 'json']) {
      const exported = dokku.ok('config:export', 'web', '--format', format);
      const before = eventRows(root).length;
      const r = dokku.with({ input: exported }, 'config:import', 'copy', '--format', format, '--replace');
      expect(r.code).toBe(0);
      const added = eventRows(root).slice(before);
      if (format === 'envfile') {
        expect(r.stdout).toContain('-----> Importing config vars');
        expect(added.map((e) => e.type)).toEqual(['ConfigSet']);
        expect(JSON.parse(added[0]!.data).vars).toEqual(TRICKY);
      } else {
        expect(r.stdout).toContain('-----> No config vars changed');
        expect(added).toEqual([]);
      }
      expect(dokku.ok('config:export', 'copy', '--format', format)).toBe(exported);
    }
  });

  it('--replace unsets the keys the input lacks; without it they stay', () => {
    dokku.ok('config:set', '--no-restart', 'copy', 'EXTRA=1');
    expect(dokku.with({ input: 'NEW=2\n' }, 'config:import', 'copy', '--no-restart').code).toBe(0);
    expect(dokku.ok('config:keys', 'copy').split('\n').filter(Boolean).sort()).toEqual(['DOLLAR', 'EXTRA', 'MULTI', 'NEW', 'PLAIN', 'QUOTES']);
    expect(dokku.with({ input: '{"ONLY":"x"}' }, 'config:import', 'copy', '--format', 'json', '--replace', '--no-restart').code).toBe(0);
    expect(dokku.ok('config:keys', 'copy')).toBe('ONLY\n');
  });

  it('refuses a bad key anywhere in the input and sets nothing', () => {
    const before = eventRows(root).length;
    const r = dokku.with({ input: 'GOOD=1\nBAD-KEY=2\n' }, 'config:import', 'copy');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ !     Invalid config key 'BAD-KEY'/m);
    expect(eventRows(root).length).toBe(before);
    expect(dokku.ok('config:keys', 'copy')).toBe('ONLY\n');
  });

  it('refuses input past its cap', () => {
    const r = dokku.with({ input: `A=${'x'.repeat(1024 * 1024 + 10)}\n` }, 'config:import', 'copy');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(' !     The config on stdin is larger than 1 MiB');
  });

  it('imports global config with --global', () => {
    expect(dokku.with({ input: 'REGION=eu\n' }, 'config:import', '--global').code).toBe(0);
    expect(dokku.ok('config:get', '--global', 'REGION')).toBe('eu\n');
  });

  it('config:bundle writes a tar of one file per var, named by its key; --merged adds the global ones', () => {
    const entries = readTar(Buffer.from(dokku.ok('config:bundle', 'web'), 'utf8'));
    expect(entries.map((e) => e.path)).toEqual(Object.keys(TRICKY).sort());
    expect(Object.fromEntries(entries.map((e) => [e.path, e.data!.toString('utf8')]))).toEqual(TRICKY);
    expect(entries.every((e) => e.type === 'file' && e.mode === 0o600)).toBe(true);
    const merged = readTar(Buffer.from(dokku.ok('config:bundle', 'web', '--merged'), 'utf8'));
    expect(merged.map((e) => e.path)).toContain('REGION');
    expect(readTar(Buffer.from(dokku.ok('config:bundle', '--global'), 'utf8')).map((e) => e.path)).toEqual(['REGION']);
  });

  it("app-json:set records appjson-path; app-json:report shows Dokku's fields", () => {
    expect(dokku.ok('app-json:report', 'web', '--app-json-computed-selected')).toBe('app.json\n');
    expect(dokku.ok('app-json:set', 'web', 'appjson-path', 'deploy/app.json')).toContain('-----> Setting appjson-path to deploy/app.json for web');
    dokku.ok('app-json:set', '--global', 'appjson-path', 'app.prod.json');
    const report = dokku.ok('app-json:report', 'web');
    expect(report).toMatch(/App json computed selected:\s+deploy\/app.json\n/);
    expect(report).toMatch(/App json global selected:\s+app.prod.json\n/);
    expect(report).toMatch(/App json selected:\s+deploy\/app.json\n/);
    expect(JSON.parse(dokku.ok('app-json:report', 'copy', '--format', 'json'))).toEqual({
      'app-json-computed-selected': 'app.prod.json',
      'app-json-global-selected': 'app.prod.json',
      'app-json-selected': '',
    });
    dokku.ok('app-json:set', 'web', 'appjson-path');
    expect(dokku.ok('app-json:report', 'web', '--app-json-selected')).toBe('\n');
    const set = eventRows(root).filter((e) => e.type === 'SettingSet').map((e) => JSON.parse(e.data));
    expect(set.at(-1)).toEqual({ namespace: 'app-json', key: 'appjson-path', value: null });
  });
});
