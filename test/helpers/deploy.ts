/** What deploy tests share: source archives, the app's recorded upstream, and a checked CLI result. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, withDb, type RunResult } from './cli.ts';

export const FIXTURES = join(REPO, 'test/fixtures/apps');

/** A tar of the directory's contents, as `git archive` would hand it over. */
export function tarOf(dir: string): string {
  const out = join(mkdtempSync(join(tmpdir(), 'dokku-src-')), 'app.tar');
  const r = spawnSync('tar', ['-C', dir, '-cf', out, '.']);
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
  return out;
}

/** The first web upstream recorded for the app, as nginx would read it; undefined before a deploy. */
export function upstreamOf(root: string, app: string): string | undefined {
  return withDb(root, (db) => {
    const row = db.prepare('SELECT r.upstreams FROM app_runtime r JOIN apps a ON a.id = r.app_id WHERE a.name = ?').get(app) as
      | { upstreams: string }
      | undefined;
    const [u] = row ? (JSON.parse(row.upstreams) as Array<{ host: string; port: number }>) : [];
    return u ? `http://${u.host}:${u.port}` : undefined;
  });
}

export function expectOk(r: RunResult, what: string): void {
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
}

/** What most runtime tests start with: the app made, checks off, the image deployed. */
export async function deployImageApp(dokku: (...words: string[]) => Promise<RunResult>, app: string, image: string): Promise<void> {
  expectOk(await dokku('apps:create', app), 'apps:create');
  expectOk(await dokku('checks:disable', app), 'checks:disable');
  expectOk(await dokku('git:from-image', app, image), 'git:from-image');
}
