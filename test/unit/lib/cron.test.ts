import { describe, expect, it } from 'vitest';
import { cronCommandProblem, cronId, cronScheduleProblem } from '../../../src/lib/cron.ts';
import { renderCrontabBlock, replaceCrontabBlock } from '../../../src/lib/crontab.ts';
import { parseAppJson } from '../../../src/builder/app-json.ts';

describe('cron schedules', () => {
  it.each(['* * * * *', '*/5 * * * *', '0 3 * * 1-5', '15,45 0-23/2 1 jan,jul sun', '0 0 * * 7', '@daily', '@hourly', '@yearly', '@annually', '@midnight'])('accepts %j', (s) => {
    expect(cronScheduleProblem(s)).toBeUndefined();
  });

  it.each([
    ['* * * * * *', /five fields .* not 6/],
    ['@never', /unknown schedule '@never'/],
    ['@reboot', /not a schedule here/],
    ['60 * * * *', /minute '60' is outside 0-59/],
    ['* 24 * * *', /hour '24'/],
    ['* * 0 * *', /day of month '0'/],
    ['* * * 13 *', /month '13'/],
    ['*/0 * * * *', /bad step/],
    ['5-1 * * * *', /outside/],
    ['* * * foo *', /month 'foo'/],
    ['', /five fields/],
  ])('refuses %j', (s, reason) => {
    expect(cronScheduleProblem(s)).toMatch(reason);
  });

  it('refuses commands cron or a container cannot hold', () => {
    expect(cronCommandProblem('npm run job')).toBeUndefined();
    expect(cronCommandProblem('a\0b')).toMatch(/control character/);
    expect(cronCommandProblem('a\nb')).toMatch(/control character/);
    expect(cronCommandProblem('   ')).toMatch(/empty/);
    expect(cronCommandProblem('x'.repeat(5000))).toMatch(/longer than 4096/);
  });

  it('gives a stable id per schedule and command', () => {
    expect(cronId('@daily', 'a')).toBe(cronId(' @daily ', 'a'));
    expect(cronId('@daily', 'a')).not.toBe(cronId('@daily', 'b'));
    expect(cronId('@daily', 'a')).toMatch(/^[0-9a-f]{12}$/);
  });

  it('is read from app.json, and a bad task fails the build in one line', () => {
    const json = parseAppJson(JSON.stringify({ cron: [{ command: 'true', schedule: '@daily', maintenance: true }] }));
    expect(json.cron).toEqual([{ id: cronId('@daily', 'true'), schedule: '@daily', command: 'true', maintenance: true }]);
    expect(() => parseAppJson(JSON.stringify({ cron: [{ command: 'true', schedule: '* * * * * *' }] }))).toThrow(/^Invalid app.json: cron\[0\]: a schedule has five fields/);
    expect(() => parseAppJson(JSON.stringify({ cron: [{ command: 'x\u0000', schedule: '@daily' }] }))).toThrow(/control character/);
    expect(() => parseAppJson(JSON.stringify({ cron: [{ command: 'a', schedule: '@daily' }, { command: 'a', schedule: '@daily' }] }))).toThrow(/repeats/);
    expect(() => parseAppJson(JSON.stringify({ cron: {} }))).toThrow(/cron must be a list/);
  });
});

describe('the crontab block', () => {
  const input = {
    root: '/home/dokku',
    self: ['/usr/local/bin/dokku'],
    env: { DOKKU_ROOT: '/home/dokku' },
    mailto: '',
    apps: [{ app: 'web', mailto: 'ops@example.com', logFile: '/home/dokku/.cron/a1.log', entries: [{ app: 'web', id: 'abcdef012345', schedule: '*/5 * * * *' }] }],
  };

  it('quotes every word and names no command text', () => {
    expect(renderCrontabBlock(input).split('\n')).toEqual([
      '# BEGIN dokku /home/dokku',
      expect.stringMatching(/^# Written by dokku/),
      'DOKKU_ROOT="/home/dokku"',
      'SHELL="/bin/sh"',
      expect.stringMatching(/^PATH="/),
      'MAILTO="ops@example.com"',
      "*/5 * * * * '/usr/local/bin/dokku' cron:run 'web' abcdef012345 >> '/home/dokku/.cron/a1.log' 2>&1",
      '# END dokku /home/dokku',
      '',
    ]);
    expect(renderCrontabBlock({ ...input, apps: [] })).toBe('');
  });

  it('refuses paths cron would read otherwise', () => {
    expect(() => renderCrontabBlock({ ...input, self: ['/opt/100%/dokku'] })).toThrow(/quote, % or a line break/);
    expect(() => renderCrontabBlock({ ...input, env: { DOKKU_ROOT: 'a"b' } })).toThrow(/environment variable DOKKU_ROOT/);
  });

  it('replaces only its own block', () => {
    const mine = renderCrontabBlock(input);
    const other = '# BEGIN dokku /srv/other\n0 0 * * * x\n# END dokku /srv/other\n';
    const table = replaceCrontabBlock(`MAILTO=root\n0 1 * * * backup\n${other}`, '/home/dokku', mine);
    expect(table).toContain('0 1 * * * backup');
    expect(table).toContain(other);
    expect(table).toContain(mine);
    expect(replaceCrontabBlock(table, '/home/dokku', mine)).toBe(table);
    expect(replaceCrontabBlock(table, '/home/dokku', '')).not.toContain('/home/dokku');
  });
});
