import { describe, expect, it } from 'vitest';
import { callerFrom, judge, requirementOf, type Call } from '../../../src/ssh/access.ts';

const call = (command: string, declared: string[], args: string[], opts: { global?: boolean; takesGlobal?: boolean } = {}): Call => ({
  command,
  declared: declared.map((d) => ({ value: d.replace(/^\.\.\./, ''), variadic: d.startsWith('...') })),
  takesGlobal: opts.takesGlobal ?? false,
  args,
  global: opts.global ?? false,
});

describe('requirementOf', () => {
  it.each([
    [call('help', [], []), { kind: 'open' }],
    [call('version', [], []), { kind: 'open' }],
    [call('apps:list', [], []), { kind: 'open' }],
    [call('config:set', ['...args'], ['web', 'A=1'], { takesGlobal: true }), { kind: 'app', app: 'web' }],
    [call('config:set', ['...args'], ['A=1'], { takesGlobal: true, global: true }), { kind: 'admin', reason: 'a --global change' }],
    [call('git:from-archive', ['app', 'archive'], ['web', '-']), { kind: 'app', app: 'web' }],
    [call('logs', ['app'], ['web']), { kind: 'app', app: 'web' }],
    [call('git-hook', ['app'], ['web']), { kind: 'app', app: 'web' }],
    [call('events', ['app'], ['web']), { kind: 'app', app: 'web' }],
    // A path on the server is for admins; turning a log off or resetting it is the app's own business.
    [call('nginx:set', ['...words'], ['web', 'access-log-path', '/var/log/x.log'], { takesGlobal: true }), { kind: 'admin', reason: 'a path on the server' }],
    [call('nginx:set', ['...words'], ['web', 'error-log-path', '/etc/passwd'], { takesGlobal: true }), { kind: 'admin', reason: 'a path on the server' }],
    [call('nginx:set', ['...words'], ['web', 'access-log-path', 'off'], { takesGlobal: true }), { kind: 'app', app: 'web' }],
    [call('nginx:set', ['...words'], ['web', 'error-log-path'], { takesGlobal: true }), { kind: 'app', app: 'web' }],
    [call('nginx:set', ['...words'], ['web', 'nginx-conf-sigil-path', 'x/nginx.conf.sigil'], { takesGlobal: true }), { kind: 'app', app: 'web' }],
    [call('nginx:start', [], []), { kind: 'admin', reason: 'not tied to one app' }],
  ])('%#: %o → %o', (c, expected) => {
    expect(requirementOf(c)).toEqual(expected);
  });

  it('keeps admin commands for admins even when they name an app', () => {
    for (const [command, declared, args] of [
      ['apps:create', ['app'], ['web']],
      ['apps:destroy', ['app'], ['web']],
      ['apps:rename', ['old-app', 'new-app'], ['web', 'x']],
      ['acl:add', ['app', 'key'], ['web', 'bob']],
      ['ssh-keys:add', ['name', 'file'], ['bob']],
      ['stack:build', [], []],
      ['state:rebuild', [], []],
    ] as const) {
      expect(requirementOf(call(command, [...declared], [...args])).kind, command).toBe('admin');
    }
  });

  it('lets a key run `events` with no app: the command shows it only its own apps', () => {
    expect(requirementOf(call('events', ['app'], []))).toEqual({ kind: 'open' });
    expect(requirementOf(call('events', ['app'], ['web']))).toEqual({ kind: 'app', app: 'web' });
  });

  it('treats whatever it cannot tie to one app as an admin command (fail closed)', () => {
    expect(requirementOf(call('ps:restore', [], [])).kind).toBe('admin');
    expect(requirementOf(call('events:verify', [], [])).kind).toBe('admin');
    // A variadic first argument without the <app>|--global convention is not read as an app.
    expect(requirementOf(call('domains:set-global', ['...domains'], ['web'])).kind).toBe('admin');
    // --global on any command, declared or not.
    expect(requirementOf(call('checks:set', ['app', 'property'], ['web', 'wait'], { global: true })).kind).toBe('admin');
  });
});

describe('judge', () => {
  const grants = (apps: string[]) => (app: string) => apps.includes(app);
  it('lets an admin key do anything', () => {
    expect(judge({ name: 'a', admin: true }, 'ssh-keys:add', { kind: 'admin', reason: 'x' }, grants([]))).toEqual({ allowed: true });
    expect(judge({ name: 'a', admin: true }, 'logs', { kind: 'app', app: 'web' }, grants([]))).toEqual({ allowed: true });
  });
  it('lets a non-admin key act only on its apps, and run no admin command', () => {
    const bob = { name: 'bob', admin: false };
    expect(judge(bob, 'logs', { kind: 'app', app: 'web' }, grants(['web']))).toEqual({ allowed: true });
    expect(judge(bob, 'logs', { kind: 'app', app: 'api' }, grants(['web']))).toEqual({ allowed: false, reason: 'no access to app api' });
    expect(judge(bob, 'apps:list', { kind: 'open' }, grants([]))).toEqual({ allowed: true });
    expect(judge(bob, 'acl:add', { kind: 'admin', reason: 'an admin command' }, grants(['web']))).toEqual({
      allowed: false,
      reason: 'acl:add is an admin command, for admin keys only',
    });
  });
  it('refuses a key that is no longer registered, even for help', () => {
    expect(judge(undefined, 'help', { kind: 'open' }, grants([]))).toEqual({ allowed: false, reason: 'this key is no longer registered' });
  });
});

describe('callerFrom', () => {
  it('is a key when the forced command set FINGERPRINT, else the local user', () => {
    expect(callerFrom({ NAME: 'bob', FINGERPRINT: 'SHA256:x' })).toEqual({ kind: 'key', name: 'bob', fingerprint: 'SHA256:x' });
    expect(callerFrom({ NAME: 'bob' })).toEqual({ kind: 'local' });
    expect(callerFrom({ FINGERPRINT: '' })).toEqual({ kind: 'local' });
  });
});
