/**
 * Builds `dist/dokku` (one self-contained executable, Bun inside) and `dist/dokku.mjs` (a Node
 * bundle that loads better-sqlite3 and dockerode from node_modules). The migrations are inlined
 * into both so neither reads `migrations/` at run time.
 */
import { readdirSync, readFileSync, mkdirSync } from 'node:fs';
import type { BunPlugin } from 'bun';

const inlineMigrations: BunPlugin = {
  name: 'inline-migrations',
  setup(build) {
    build.onLoad({ filter: /migration-files\.ts$/ }, () => {
      const files = readdirSync('migrations')
        .filter((f) => /^\d+_.+\.sql$/.test(f))
        .map((f) => ({ version: Number(f.split('_', 1)[0]), name: f, sql: readFileSync(`migrations/${f}`, 'utf8') }))
        .sort((a, b) => a.version - b.version);
      return { contents: `export function migrationFiles() { return ${JSON.stringify(files)}; }`, loader: 'js' };
    });
  },
};

mkdirSync('dist', { recursive: true });

const node = await Bun.build({
  entrypoints: ['src/main.ts'],
  outdir: 'dist',
  naming: 'dokku.mjs',
  target: 'node',
  format: 'esm',
  external: ['better-sqlite3', 'dockerode', 'bun:sqlite'],
  plugins: [inlineMigrations],
  banner: '#!/usr/bin/env node',
});
if (!node.success) throw new AggregateError(node.logs, 'node bundle failed');

const compiled = await Bun.build({
  entrypoints: ['src/main.ts'],
  compile: { outfile: 'dist/dokku' },
  target: 'bun',
  minify: true,
  // Precompiled bytecode: start-up no longer parses the whole bundle (the Docker client included)
  // on every run, which took a short command from ~80 ms to ~20 ms.
  bytecode: true,
  external: ['better-sqlite3'],
  plugins: [inlineMigrations],
});
if (!compiled.success) throw new AggregateError(compiled.logs, 'compile failed');

console.log('built dist/dokku and dist/dokku.mjs');
