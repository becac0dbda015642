import { describe, expect, it } from 'vitest';
import { BuildError } from '../../../src/builder/errors.ts';
import { parseProcfile } from '../../../src/builder/procfile.ts';
import { UserError } from '../../../src/lib/errors.ts';

const errorOf = (text: string): BuildError => {
  try {
    parseProcfile(text);
  } catch (err) {
    expect(err).toBeInstanceOf(BuildError);
    expect(err).toBeInstanceOf(UserError);
    return err as BuildError;
  }
  throw new Error('expected a BuildError');
};

describe('parseProcfile', () => {
  it('reads process types, skipping blank lines and comments', () => {
    const text = '# processes\nweb: node server.js --port $PORT\n\nworker:   node worker.js  \nrelease: ./migrate.sh\n';
    expect(parseProcfile(text)).toEqual({ web: 'node server.js --port $PORT', worker: 'node worker.js', release: './migrate.sh' });
  });

  it('keeps colons inside the command and handles CRLF and a BOM', () => {
    expect(parseProcfile('\uFEFFweb: python3 -c "print(\'a: b\')"\r\nclock: sleep 1\r\n')).toEqual({ web: 'python3 -c "print(\'a: b\')"', clock: 'sleep 1' });
  });

  it('is empty for an empty file', () => {
    expect(parseProcfile('')).toEqual({});
    expect(parseProcfile('# nothing\n\n')).toEqual({});
  });

  it('reports every bad line with its number', () => {
    const err = errorOf('web: ok\nthis line has no colon\nbad name!: x\nworker:\nweb: again\n');
    expect(err.step).toBe('procfile');
    expect(err.message).toContain("line 2: expected 'type: command'");
    expect(err.message).toContain("line 3: invalid process type 'bad name!'");
    expect(err.message).toContain("line 4: process type 'worker' has no command");
    expect(err.message).toContain("line 5: process type 'web' is already defined on line 1");
  });

  it.each(['-web: x', '_web: x', 'we.b: x', `${'a'.repeat(64)}: x`, ': x'])('refuses %j', (line) => {
    expect(errorOf(line).message).toMatch(/line 1: invalid process type/);
  });
});
