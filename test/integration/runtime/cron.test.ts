/**
 * app.json cron tasks under the host's real cron daemon: a `* * * * *` task written into the
 * crontab by a deploy runs within two minutes, its run is recorded, its output lands in the app's
 * cron log; `cron:run` runs it at once; `cron:suspend` takes it out of the crontab. One deploy.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, eventRows, makeRoot, removeRoots, requireDist, run as runCli, withDb } from '../../helpers/cli.ts';
import { deployImageApp, expectOk } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { commitAppImage } from '../../helpers/test-image.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;
const root = makeRoot('dokku-cron-');
const app = uniqueName('it-cron');
const dokku = (...words: string[]) => runCli(compiled, root, words);
const image = `dokku-test/it-cron:${Math.random().toString(36).slice(2, 8)}`;
let docker: Docker;
let id: string;

const cronRuns = () => spawnSync('pgrep', ['-x', 'cron']).status === 0;
const crontab = () => {
  const r = spawnSync('crontab', ['-l'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout : '';
};
const appId = () => withDb(root, (db) => (db.prepare('SELECT id FROM apps WHERE name = ?').get(app) as { id: string }).id);

beforeAll(async () => {
  requireDist();
  if (!cronRuns()) {
    // The daemon must run for this file; where it is installed and stopped, start it.
    if (existsSync('/usr/sbin/cron')) execFileSync('/usr/sbin/cron');
    if (!cronRuns()) throw new Error('The cron daemon is not running (apt-get install cron; cron)');
  }
  docker = await connectDocker();
  const appJson = JSON.stringify({ cron: [{ command: 'echo "tick from $DYNO"', schedule: '* * * * *' }, { command: 'false', schedule: '@daily' }] });
  await commitAppImage(
    docker,
    image,
    'mkdir -p /app /www && echo ok > /www/index.html && printf "%s" "$APPJSON" > /app/app.json && echo "web: httpd -f -p \\$PORT -h /www" > /app/Procfile',
    [`APPJSON=${appJson}`],
  );
  await deployImageApp(dokku, app, image);
  const list = await dokku('cron:list', app, '--format', 'json');
  expectOk(list, 'cron:list');
  id = (JSON.parse(list.stdout) as Array<{ id: string; schedule: string }>).find((t) => t.schedule === '* * * * *')!.id;
}, 600_000);

afterAll(async () => {
  await dokku('apps:destroy', app, '--force');
  await docker?.getImage(image).remove({ force: true }).catch(() => undefined);
  // The block of this root is gone with its last app.
  expect(crontab()).not.toContain(`# BEGIN dokku ${root}`);
  removeRoots();
}, 120_000);

describe('cron tasks', () => {
  it('lists the tasks of app.json with Dokku-style ids, and writes them into the crontab', async () => {
    const r = await dokku('cron:list', app);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`${id}\\s+\\* \\* \\* \\* \\*\\s+false\\s+never\\s+echo "tick from \\$DYNO"`));
    const table = crontab();
    expect(table).toContain(`# BEGIN dokku ${root}`);
    expect(table).toMatch(new RegExp(`^\\* \\* \\* \\* \\* .* cron:run '${app}' ${id} >> '.*${appId()}\\.log' 2>&1$`, 'm'));
    // The command text itself never reaches cron's shell.
    expect(table).not.toContain('tick from');
  });

  it('runs under the cron daemon within two minutes: recorded, and its output in the cron log', async () => {
    const log = join(root, '.cron', `${appId()}.log`);
    const deadline = Date.now() + 130_000;
    let finished: { exitCode: number } | undefined;
    while (Date.now() < deadline && !finished) {
      await new Promise((r) => setTimeout(r, 2000));
      const row = eventRows(root).find((e) => e.type === 'CronRunFinished');
      if (row) finished = JSON.parse(row.data) as { exitCode: number };
    }
    expect(finished, 'a CronRunFinished event within 130 s').toEqual({ id, exitCode: 0, seconds: expect.any(Number) });
    expect(eventRows(root).some((e) => e.type === 'CronRunStarted')).toBe(true);
    expect(readFileSync(log, 'utf8')).toMatch(/tick from run\.\w+/);
    const list = JSON.parse((await dokku('cron:list', app, '--format', 'json')).stdout) as Array<{ id: string; last_run: { exit_code: number } | null }>;
    expect(list.find((t) => t.id === id)!.last_run).toMatchObject({ exit_code: 0 });
  }, 150_000);

  it('cron:run runs a task now and records a failing one', async () => {
    const failing = (JSON.parse((await dokku('cron:list', app, '--format', 'json')).stdout) as Array<{ id: string; command: string }>).find((t) => t.command === 'false')!.id;
    const r = await dokku('cron:run', app, failing);
    expect(r.code).toBe(1);
    const list = JSON.parse((await dokku('cron:list', app, '--format', 'json')).stdout) as Array<{ id: string; last_run: { exit_code: number } | null }>;
    expect(list.find((t) => t.id === failing)!.last_run).toMatchObject({ exit_code: 1 });
    const ok = await dokku('cron:run', app, id);
    expect([ok.code, ok.stdout.trim()]).toEqual([0, expect.stringMatching(/^tick from run\.\w+$/)]);
  });

  it('cron:suspend takes the task out of the crontab, cron:resume puts it back', async () => {
    expectOk(await dokku('cron:suspend', app, id), 'cron:suspend');
    expect(crontab()).not.toContain(` ${id} `);
    const list = JSON.parse((await dokku('cron:list', app, '--format', 'json')).stdout) as Array<{ id: string; suspended: boolean }>;
    expect(list.find((t) => t.id === id)!.suspended).toBe(true);
    expectOk(await dokku('cron:resume', app, id), 'cron:resume');
    expect(crontab()).toContain(` ${id} `);
    expectOk(await dokku('cron:set', app, 'maintenance', 'true'), 'cron:set maintenance');
    expect(crontab()).not.toContain(`# BEGIN dokku ${root}`);
    expectOk(await dokku('cron:set', app, 'maintenance', 'false'), 'cron:set maintenance false');
    expect(crontab()).toContain(` ${id} `);
  });
});
