import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildContainerName, reapWorkDirs, workDirPrefix } from '../../../src/builder/cleanup.ts';
import { processStartTicks } from '../../../src/lib/lock.ts';

describe('leftovers of a killed build', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('build containers and work directories name their creator: pid and start ticks', () => {
    const tag = `${process.pid}-${processStartTicks(process.pid)}`;
    expect(buildContainerName('my-app')).toMatch(new RegExp(`^dokku-build\\.my-app\\.${tag}\\.[0-9a-f]{6}$`));
    expect(workDirPrefix('my-app')).toBe(`dokku-build-my-app-${tag}-`);
    expect(workDirPrefix('my-app', 'archive')).toBe(`dokku-archive-my-app-${tag}-`);
    expect(workDirPrefix('my-app', 'push')).toBe(`dokku-push-my-app-${tag}-`);
  });

  it('removes the work directories of a dead creator, or of a pid now another process, and keeps a live one\'s', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dokku-reap-'));
    dirs.push(dir);
    const dead = spawnSync('true').pid!;
    const ticks = processStartTicks(process.pid)!;
    const live = `dokku-build-app-${process.pid}-${ticks}-AbC123`;
    const gone = `dokku-build-app-${dead}-${ticks}-AbC123`;
    const reused = `dokku-build-app-${process.pid}-${ticks + 1}-AbC123`;
    const upload = `dokku-archive-app-${dead}-${ticks}-AbC123`;
    const other = 'dokku-push-AbC123';
    for (const d of [live, gone, reused, upload, other]) mkdirSync(join(dir, d));
    expect(reapWorkDirs(dir).sort()).toEqual([gone, reused, upload].sort());
    expect(readdirSync(dir).sort()).toEqual([live, other].sort());
  });
});
