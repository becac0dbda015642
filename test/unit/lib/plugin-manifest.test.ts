import { describe, expect, it } from 'vitest';
import { parsePluginManifest, pluginNameFromSource, validatePluginName } from '../../../src/lib/plugin-manifest.ts';

describe('plugin.toml', () => {
  it('reads [plugin] and the [commands] app positions, with comments and quoted keys', () => {
    const m = parsePluginManifest([
      '# a maintenance plugin',
      '[plugin]',
      'description = "a page # not a comment"  # a comment',
      "version = '1.2.0'",
      '',
      '[commands]',
      '"maintenance:on" = { app = 1 }',
      'maintenance-off = {app=2, other = "x"}',
    ].join('\n'));
    expect(m).toEqual({ description: 'a page # not a comment', version: '1.2.0', commands: { 'maintenance:on': { app: 1 }, 'maintenance-off': { app: 2 } } });
  });

  it('refuses what it cannot read, naming the line', () => {
    expect(() => parsePluginManifest('[plugin]\nversion = 1.2.3\n')).toThrow(/line 2: unexpected '.2.3' after the value/);
    expect(() => parsePluginManifest('version = "1"\n')).toThrow(/line 1: a key outside any \[table\]/);
    expect(() => parsePluginManifest('[plugin]\ndescription = "x\n')).toThrow(/unterminated string/);
    expect(() => parsePluginManifest('[plugin]\ndescription = "x"\n')).toThrow(/needs a version/);
    expect(() => parsePluginManifest('[plugin]\nversion = "1"\n[commands]\n"a:b" = { app = 0 }\n')).toThrow(/must be \{ app = N \}/);
    expect(() => parsePluginManifest('[plugin]\nversion = "1"\n[commands]\n"a:b" = "x"\n')).toThrow(/must be \{ app = N \}/);
    expect(() => parsePluginManifest(`[plugin]\nversion = "1"\n${'#'.repeat(70_000)}`)).toThrow(/over 64 KiB/);
  });

  it('names plugins as Dokku does', () => {
    expect(pluginNameFromSource('https://github.com/dokku/dokku-postgres.git')).toBe('postgres');
    expect(pluginNameFromSource('git@host:me/maintenance.git')).toBe('maintenance');
    expect(pluginNameFromSource('https://example.com/x/dokku-auth.tar.gz')).toBe('auth');
    expect(pluginNameFromSource('/srv/plugins/redirect/')).toBe('redirect');
    expect(validatePluginName('maint-2')).toBe('maint-2');
    for (const bad of ['', 'Maint', '-x', 'a/b', 'a b', 'x'.repeat(49)]) expect(() => validatePluginName(bad)).toThrow(/Invalid plugin name/);
  });
});
