/**
 * Source formats as users write them, deployed through the compiled binary: app.json with `//`
 * comments, a Procfile with Windows line endings, comments and a `release` line; and a destroy
 * that leaves no directory behind.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TARGETS, makeRoot, removeRoots, requireDist, run } from '../../helpers/cli.ts';
import { expectOk, tarOf, upstreamOf } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { ensureTestImage } from '../../helpers/test-image.ts';

const compiled = TARGETS.find((t) => t.name === 'compiled')!;

describe('app formats (compiled binary)', () => {
  const root = makeRoot('dokku-formats-');
  const app = uniqueName('fmt');
  const dokku = (...words: string[]) => run(compiled, root, words);
  let image = '';

  beforeAll(async () => {
    requireDist();
    image = await ensureTestImage((await connectDocker())!);
    expectOk(await dokku('apps:create', app), 'apps:create');
    expectOk(await dokku('checks:set', app, 'wait', '0'), 'checks:set');
  }, 120_000);

  afterAll(async () => {
    await dokku('apps:destroy', app, '--force');
    removeRoots();
  }, 120_000);

  function source(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'dokku-fmt-src-'));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), text);
    }
    const tar = tarOf(dir);
    rmSync(dir, { recursive: true, force: true });
    return tar;
  }

  it('deploys app.json with // comments and a CRLF Procfile with comments and a release command', async () => {
    const tar = source({
      Dockerfile: [`FROM ${image}`, 'COPY www /www', 'CMD ["/bin/sh", "-c", "exec httpd -f -p $PORT -h /www"]', ''].join('\n'),
      'www/index.html': 'formats ok\n',
      Procfile: ['# processes, written on Windows', 'web: /bin/sh -c "exec httpd -f -p $PORT -h /www"', '', '# runs once per release', 'release: echo "release for // $DOKKU_RELEASE_VERSION"', ''].join('\r\n'),
      'app.json': [
        '{',
        '  // Dokku reads comments in app.json',
        '  "name": "formats // not a comment",',
        '  "scripts": { "dokku": { "predeploy": "echo predeploy http://example.test/path" } }, // after a value',
        '  "healthchecks": { "web": [ { "type": "startup", "path": "/index.html", "content": "formats ok", "attempts": 5 } ] }',
        '}',
        '',
      ].join('\n'),
    });
    const r = await run(compiled, root, ['git:from-archive', app, tar]);
    expectOk(r, 'deploy');
    expect(r.stdout).toContain('predeploy http://example.test/path');
    expect(r.stdout).toContain('Running release command: echo "release for // $DOKKU_RELEASE_VERSION"');
    expect(r.stdout).toContain('release for // v1');
    const ps = await dokku('ps:report', app, '--format', 'json');
    expectOk(ps, 'ps:report');
    const res = await fetch(`${upstreamOf(root, app)}/index.html`, { signal: AbortSignal.timeout(5000) });
    expect(await res.text()).toBe('formats ok\n');
    // The release line is a phase, not a process type that gets containers.
    expect((await dokku('ps:scale', app)).stdout).not.toMatch(/release/);
  }, 300_000);

  it('apps:destroy of a deployed app leaves nothing under DOKKU_ROOT/<app>/', async () => {
    expect(existsSync(join(root, app))).toBe(true);
    expectOk(await dokku('apps:destroy', app, '--force'), 'apps:destroy');
    expect(existsSync(join(root, app))).toBe(false);
    expect((await dokku('apps:list')).stdout).not.toContain(app);
  }, 120_000);
});
