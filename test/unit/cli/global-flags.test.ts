import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../src/cli/program.ts';
import type { Context } from '../../../src/app/context.ts';
import { applyGlobalFlags, findCommand, takeGlobalFlags, takeReportFlag } from '../../../src/cli/global-flags.ts';
import { UsageError } from '../../../src/lib/errors.ts';

const cli = buildProgram({} as Context);
const rewrite = (...words: string[]) => {
  const { flags, rest } = takeGlobalFlags(words);
  return { flags, words: applyGlobalFlags(findCommand(cli, rest[0]), rest, flags) };
};

describe('global flags before the command', () => {
  it('reads only the flags before the command word', () => {
    expect(takeGlobalFlags(['--quiet', '--trace', 'apps:list', '--quiet'])).toEqual({
      flags: { quiet: true, trace: true, force: false },
      rest: ['apps:list', '--quiet'],
    });
    expect(takeGlobalFlags(['--help']).rest).toEqual(['--help']);
  });

  it('--app becomes the first argument; --force reaches only a command that has it', () => {
    expect(rewrite('--app', 'web', 'config:set', 'A=1').words).toEqual(['config:set', 'web', 'A=1']);
    expect(rewrite('--app=web', 'config').words).toEqual(['config', 'web']);
    expect(rewrite('--force', '--app', 'web', 'apps:destroy').words).toEqual(['apps:destroy', 'web', '--force']);
    expect(rewrite('--force', 'apps:list').words).toEqual(['apps:list']);
  });

  it('refuses --app without a name, or for a command that takes none', () => {
    expect(() => takeGlobalFlags(['--app'])).toThrow(UsageError);
    expect(() => takeGlobalFlags(['--app', '--quiet', 'config'])).toThrow('--app needs an app name');
    expect(() => rewrite('--app', 'web', 'apps:list')).toThrow('apps:list does not take an app');
  });
});

describe("a report's single-field flag", () => {
  const take = (...words: string[]) => takeReportFlag(findCommand(cli, words[0]), words);

  it('is any flag the report does not declare', () => {
    expect(take('ps:report', 'web', '--deployed')).toEqual({ flag: '--deployed', rest: ['ps:report', 'web'] });
    expect(take('domains:report', '--global', '--format', 'json')).toEqual({ flag: undefined, rest: ['domains:report', '--global', '--format', 'json'] });
    expect(take('apps:report', '--help').flag).toBeUndefined();
  });

  it('is at most one, and only for :report commands', () => {
    expect(() => take('ps:report', 'web', '--deployed', '--running')).toThrow('ps:report command allows only a single flag');
    expect(take('config:set', 'web', '--no-restart')).toEqual({ rest: ['config:set', 'web', '--no-restart'] });
  });
});
