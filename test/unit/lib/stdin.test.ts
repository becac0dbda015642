import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { copyInputToFile, readInput } from '../../../src/lib/stdin.ts';

const chunks = (...parts: string[]) => Readable.from(parts.map((p) => Buffer.from(p)));

describe('stdin input', () => {
  it('reads every chunk of a stream, in order', async () => {
    expect((await readInput(chunks('ssh-ed25519 ', 'AAAA', ' me@host\n'), { maxBytes: 100 })).toString()).toBe('ssh-ed25519 AAAA me@host\n');
  });

  it('refuses past the cap with the default line naming what it was', async () => {
    await expect(readInput(chunks('x'.repeat(60), 'y'.repeat(60)), { maxBytes: 100, what: 'a public key on stdin' })).rejects.toThrow(
      'A public key on stdin is larger than 100 bytes',
    );
  });

  it('takes exactly the cap, and a refusal of its own', async () => {
    expect((await readInput(chunks('x'.repeat(100)), { maxBytes: 100 })).length).toBe(100);
    await expect(readInput(chunks('x'.repeat(101)), { maxBytes: 100, tooLarge: () => new Error('too long') })).rejects.toThrow('too long');
  });

  it('copies to a private file and counts the bytes', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'stdin-test-')), 'in.tar');
    expect(await copyInputToFile(chunks('abc', 'def'), path, { maxBytes: 10 })).toBe(6);
    expect(readFileSync(path, 'utf8')).toBe('abcdef');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await expect(copyInputToFile(chunks('abcdef', 'ghijkl'), path, { maxBytes: 10 })).rejects.toThrow('larger than 10 bytes');
  });
});
