import { describe, expect, it } from 'vitest';
import { parseAppJson } from '../../../src/builder/app-json.ts';
import { BuildError } from '../../../src/builder/errors.ts';

const errorOf = (text: string): string => {
  try {
    parseAppJson(text);
  } catch (err) {
    expect(err).toBeInstanceOf(BuildError);
    expect((err as BuildError).step).toBe('app.json');
    return (err as Error).message;
  }
  throw new Error('expected a BuildError');
};

describe('parseAppJson', () => {
  it('accepts // comments as Dokku does, keeping a // inside a string, and counts positions in the user\'s text', () => {
    const text = [
      '// deploy settings',
      '{',
      '  "scripts": { "dokku": { "predeploy": "curl -s http://example.test//x \\"a // b\\"" } }, // not JSON',
      '  "healthchecks": { "web": [ { "path": "/health" } ] } // trailing',
      '}',
    ].join('\r\n');
    expect(parseAppJson(text)).toEqual({ healthchecks: { web: [{ type: 'startup', path: '/health' }] }, predeploy: 'curl -s http://example.test//x "a // b"' });
    // A comment is no licence for other non-JSON: a trailing comma is still refused.
    expect(errorOf('{ "a": 1, // x\n }')).toMatch(/^Invalid app.json: not valid JSON/);
    // "/" alone is not a comment.
    expect(errorOf('{ "a": 1 } / x')).toMatch(/^Invalid app.json: not valid JSON/);
  });

  it("reads Dokku's healthchecks and predeploy/postdeploy scripts, ignoring keys it does not use", () => {
    const doc = {
      name: 'sample',
      env: { A: { required: true } },
      scripts: { dokku: { predeploy: 'npm run migrate', postdeploy: 'echo done' }, postdeploy: 'heroku only' },
      healthchecks: {
        web: [
          { type: 'startup', name: 'root', path: '/health', content: 'ok', attempts: 3, timeout: 5, wait: 2, initialDelay: 1, port: 5000, uptime: 3 },
          { path: '/ready' },
        ],
        worker: [{ type: 'liveness', attempts: 1 }],
      },
    };
    expect(parseAppJson(JSON.stringify(doc))).toEqual({
      healthchecks: {
        web: [
          { type: 'startup', name: 'root', path: '/health', content: 'ok', attempts: 3, timeout: 5, wait: 2, initialDelay: 1, port: 5000 },
          { type: 'startup', path: '/ready' },
        ],
        worker: [{ type: 'liveness', attempts: 1 }],
      },
      predeploy: 'npm run migrate',
      postdeploy: 'echo done',
      firstPostdeploy: 'heroku only',
      env: { A: { required: true } },
    });
  });

  it('gives empty healthchecks and no scripts for a minimal file', () => {
    expect(parseAppJson('{}')).toEqual({ healthchecks: {} });
    expect(parseAppJson('{"scripts": {"dokku": {"predeploy": ""}}}')).toEqual({ healthchecks: {} });
  });

  it.each([
    ['{', /not valid JSON/],
    ['[]', /top level must be an object/],
    ['{"healthchecks": []}', /healthchecks must be an object/],
    ['{"healthchecks": {"web": {}}}', /healthchecks.web must be a list/],
    ['{"healthchecks": {"web": [1]}}', /healthchecks.web\[0\] must be an object/],
    ['{"healthchecks": {"web": [{"type": "sometimes"}]}}', /type must be one of startup, liveness, readiness/],
    ['{"healthchecks": {"web": [{"path": "health"}]}}', /path must start with '\/'/],
    ['{"healthchecks": {"web": [{"attempts": 0}]}}', /attempts must be a number of at least 1/],
    ['{"healthchecks": {"web": [{"wait": "5"}]}}', /wait must be a number/],
    ['{"healthchecks": {"web": [{"port": 70000}]}}', /port must be a number from 1 to 65535/],
    ['{"healthchecks": {"web": [{"content": 5}]}}', /content must be a string/],
    ['{"scripts": []}', /scripts must be an object/],
    ['{"scripts": {"dokku": {"predeploy": ["a"]}}}', /scripts.dokku.predeploy must be a string/],
  ])('refuses %s', (text, pattern) => {
    expect(errorOf(text)).toMatch(pattern);
  });
});

describe('parseAppJson: env, formation, buildpacks, scripts.postdeploy', () => {
  it("reads Dokku's shapes", () => {
    const parsed = parseAppJson(
      JSON.stringify({
        env: { SIMPLE_VAR: 'default_value', SECRET_KEY: { description: 'a secret', required: true }, WEB_CONCURRENCY: { value: '5' } },
        formation: { web: { quantity: 2, max_parallel: 1 }, worker: { quantity: 1 }, cron: {} },
        buildpacks: [{ url: 'heroku/python' }, { url: 'https://github.com/heroku/heroku-buildpack-nodejs.git' }],
        scripts: { postdeploy: 'bin/seed', dokku: { postdeploy: 'bin/every' } },
      }),
    );
    expect(parsed.env).toEqual({
      SIMPLE_VAR: { value: 'default_value', required: false },
      SECRET_KEY: { description: 'a secret', required: true },
      WEB_CONCURRENCY: { value: '5', required: false },
    });
    expect(parsed.formation).toEqual({ web: 2, worker: 1 });
    expect(parsed.buildpacks).toEqual(['heroku/python', 'https://github.com/heroku/heroku-buildpack-nodejs.git']);
    expect(parsed.firstPostdeploy).toBe('bin/seed');
    expect(parsed.postdeploy).toBe('bin/every');
  });

  it.each([
    ['{"env": []}', /env must be an object/],
    ['{"env": {"1BAD": "x"}}', /env key '1BAD' is not a config key/],
    ['{"env": {"A": 1}}', /env.A must be a string or an object/],
    ['{"env": {"A": {"required": "yes"}}}', /env.A.required must be true or false/],
    ['{"env": {"A": {"value": 2}}}', /env.A.value must be a string/],
    ['{"formation": {"web": {"quantity": -1}}}', /formation.web.quantity must be a whole number from 0 to 100/],
    ['{"formation": {"web": {"quantity": 1.5}}}', /formation.web.quantity/],
    ['{"formation": {"we b": {"quantity": 1}}}', /invalid process type 'we b'/],
    ['{"buildpacks": [{"url": "-x"}]}', /buildpacks\[0\]: Invalid buildpack/],
    ['{"buildpacks": ["heroku/python"]}', /buildpacks\[0\] must be an object with a url/],
    ['{"scripts": {"postdeploy": true}}', /scripts.postdeploy must be a string/],
  ])('refuses %s', (text, pattern) => {
    expect(errorOf(text)).toMatch(pattern);
  });
});
