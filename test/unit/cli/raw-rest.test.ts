import { cac } from 'cac';
import { describe, expect, it } from 'vitest';
import { protectRawRest, restIsRaw } from '../../../src/cli/raw-rest.ts';

function program() {
  const cli = cac('dokku');
  restIsRaw(cli.command('run <app> [...command]').option('-e, --env <pair>', 'env'), 1);
  restIsRaw(cli.command('enter <app> [process] [...command]'), 2);
  cli.command('config:set [...args]').option('--no-restart', 'x');
  cli.help();
  return cli;
}

/** What the action would receive: positional args and the words after `--`. */
function parsed(words: string[]) {
  const cli = program();
  cli.parse(['dokku', 'dokku', ...protectRawRest(cli, words)], { run: false });
  return { args: cli.args, rest: cli.options['--'] as string[] | undefined, options: cli.options };
}

describe('protectRawRest', () => {
  it("hands every word after the app to run, the program's options included", () => {
    expect(parsed(['run', 'web', 'python', 'manage.py', 'migrate', '--noinput'])).toMatchObject({ args: ['web'], rest: ['python', 'manage.py', 'migrate', '--noinput'] });
    expect(parsed(['run', 'web', 'sh', '-c', 'exit 7'])).toMatchObject({ args: ['web'], rest: ['sh', '-c', 'exit 7'] });
    expect(parsed(['run', 'web', '--help'])).toMatchObject({ args: ['web'], rest: ['--help'] });
  });

  it("still parses dokku's own options before the app, a value option's value included", () => {
    const r = parsed(['run', '-e', 'A=1', 'web', 'env', '-e', 'x']);
    expect(r).toMatchObject({ args: ['web'], rest: ['env', '-e', 'x'] });
    expect(r.options.env).toBe('A=1');
    expect(parsed(['run', '--env=B=2', 'web', 'ls'])).toMatchObject({ args: ['web'], rest: ['ls'] });
  });

  it('takes one `--` right after the app as the separator, and leaves a later one to the program', () => {
    expect(parsed(['run', 'web', '--', 'echo', '--', 'x'])).toMatchObject({ args: ['web'], rest: ['echo', '--', 'x'] });
    expect(parsed(['run', 'web', 'echo', '--', 'x'])).toMatchObject({ args: ['web'], rest: ['echo', '--', 'x'] });
  });

  it('for enter, the rest starts after the process', () => {
    expect(parsed(['enter', 'web', 'web.1', 'ls', '-la'])).toMatchObject({ args: ['web', 'web.1'], rest: ['ls', '-la'] });
    expect(parsed(['enter', 'web'])).toMatchObject({ args: ['web'] });
  });

  it('leaves other commands and words it cannot place alone', () => {
    const words = ['config:set', 'web', 'A=1', '--no-restart'];
    expect(protectRawRest(program(), words)).toBe(words);
    expect(protectRawRest(program(), ['run'])).toEqual(['run']);
    expect(protectRawRest(program(), ['run', '--', 'web', 'ls'])).toEqual(['run', '--', 'web', 'ls']);
    expect(protectRawRest(program(), [])).toEqual([]);
  });
});
