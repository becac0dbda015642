import { describe, expect, it } from 'vitest';
import { parseReleaseYaml } from '../../../src/builder/release-yaml.ts';

describe("bin/release's YAML", () => {
  it('reads the block form', () => {
    const text = '---\naddons: []\ndefault_process_types:\n  web: npm start\n  worker: "node worker.js --queue \\"a\\""\n  clock: \'echo it\'\'s\'\nconfig_vars:\n  X: y\n';
    expect(parseReleaseYaml(text)).toEqual({ web: 'npm start', worker: 'node worker.js --queue "a"', clock: "echo it's" });
  });

  it('reads the flow form and empty maps', () => {
    expect(parseReleaseYaml('--- \ndefault_process_types: { web: "python3 app.py", worker: a b }\n')).toEqual({ web: 'python3 app.py', worker: 'a b' });
    expect(parseReleaseYaml('---\ndefault_process_types: {}\n')).toEqual({});
    expect(parseReleaseYaml('---\naddons: []\n')).toEqual({});
    expect(parseReleaseYaml('')).toEqual({});
  });

  it('keeps colons in commands', () => {
    expect(parseReleaseYaml('default_process_types:\n  web: python3 -m http.server --bind 0.0.0.0:$PORT\n')).toEqual({ web: 'python3 -m http.server --bind 0.0.0.0:$PORT' });
  });
});
