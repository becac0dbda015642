import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { oneOffCommand, procfileNote } from '../../../src/app/one-off.ts';
import { UserError } from '../../../src/lib/errors.ts';

const PROCFILE = { web: 'node server.js', console: 'bundle exec racksh', args: "printf '<%s>'", image: '' };

describe('oneOffCommand', () => {
  it('runs the words as they are when the first one is no process type', () => {
    expect(oneOffCommand(PROCFILE, ['python', 'manage.py', 'migrate', '--noinput'])).toEqual({ command: ['python', 'manage.py', 'migrate', '--noinput'] });
    // Inherited names of a plain object are no process types.
    expect(oneOffCommand(PROCFILE, ['constructor'])).toEqual({ command: ['constructor'] });
    // A process type without a command of its own (the image's CMD) has nothing to run.
    expect(oneOffCommand(PROCFILE, ['image', 'x'])).toEqual({ command: ['image', 'x'] });
  });

  it("runs a Procfile entry by its process type, with the rest as that entry's arguments", () => {
    expect(oneOffCommand(PROCFILE, ['console'])).toEqual({ command: ['/bin/sh', '-c', 'bundle exec racksh "$@"', 'console'], processType: 'console' });
    expect(oneOffCommand(PROCFILE, ['web', '--port', '8080'])).toEqual({
      command: ['/bin/sh', '-c', 'node server.js "$@"', 'web', '--port', '8080'],
      processType: 'web',
    });
  });

  it('the appended words reach the entry as words, never as shell text', () => {
    const words = ['args', 'a b', '$(echo evaluated)', "';id;'", '`id`', '--flag'];
    const { command } = oneOffCommand(PROCFILE, words);
    const r = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8' });
    expect(r.stdout).toBe('<a b><$(echo evaluated)><\';id;\'><`id`><--flag>');
  });

  it('wants a command', () => {
    expect(() => oneOffCommand(PROCFILE, [])).toThrow(UserError);
  });

  it("says which entry it runs, in Dokku's words", () => {
    expect(procfileNote('console')).toBe("-----> Found 'console' in Procfile, running that command");
  });
});
