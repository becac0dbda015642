import { describe, expect, it } from 'vitest';
import { detectBuiltinBuildpack } from '../../../src/builder/plan.ts';

describe('detectBuiltinBuildpack', () => {
  it('takes the first built-in in detection order whose detect script would accept the root files', () => {
    expect(detectBuiltinBuildpack(['package.json', 'requirements.txt', 'Procfile'])).toBe('nodejs');
    expect(detectBuiltinBuildpack(['app.py', 'index.html'])).toBe('python');
    expect(detectBuiltinBuildpack(['index.html', 'Procfile'])).toBe('static');
    expect(detectBuiltinBuildpack(['Procfile', 'README.md'])).toBe('procfile');
  });
  it('finds nothing for a source no built-in accepts', () => {
    expect(detectBuiltinBuildpack(['README.md', 'src'])).toBeUndefined();
  });
});
