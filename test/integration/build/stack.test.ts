import { describe, expect, it } from 'vitest';
import { ensureStack } from '../../../src/builder/stack.ts';
import { connectDocker } from '../../helpers/docker.ts';
import { settings, stackForTests } from './helpers.ts';
import { demuxBufferLines } from '../../../src/lib/log-frames.ts';

const docker = await connectDocker();

describe('the stack image', () => {
  const d = docker!;

  it('is built offline once, then reused', async () => {
    await stackForTests(d);
    const started = performance.now();
    const lines: string[] = [];
    const again = await ensureStack(d, { image: settings.stackImage, onLine: (l) => lines.push(l) });
    expect(again.built).toBe(false);
    expect(lines).toEqual([]);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('has Node.js, npm, Python, git and the unprivileged build user', async () => {
    const c = await d.createContainer({
      Image: settings.stackImage,
      Cmd: ['/bin/sh', '-c', 'node --version && npm --version && python3 --version && git --version && id app && stat -c %u:%g /app /cache'],
    });
    try {
      await c.start();
      const { StatusCode } = await c.wait();
      const out: Buffer[] = [];
      for (const { line } of demuxBufferLines(await c.logs({ stdout: true, stderr: true }))) out.push(Buffer.from(`${line}\n`));
      const text = Buffer.concat(out).toString();
      expect(StatusCode, text).toBe(0);
      expect(text).toMatch(/^v\d+\.\d+\.\d+\n\d+\.\d+\.\d+\nPython 3\.\d+/);
      expect(text).toContain('uid=1000(app) gid=1000(app)');
      expect(text).toContain('1000:1000\n1000:1000');
    } finally {
      await c.remove({ force: true });
    }
  });
});
