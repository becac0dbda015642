import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, symlinkSync, copyFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { execa } from 'execa';

/**
 * A tiny app image made offline (no registry is reachable from tests): Debian's static busybox
 * (`apt-get install busybox-static`) plus a symlink per applet, imported with `docker import`.
 * It has sh, httpd, nc, sleep, cat, env… enough for a web "app" such as
 * `httpd -f -p $PORT -h /www`.
 */

const CANDIDATES = ['/bin/busybox', '/usr/bin/busybox'];
const REPO = 'dokku-test/busybox';

/** PT_INTERP in the program headers means the binary needs a dynamic loader the image lacks. */
export function isStaticElf(binary: Buffer): boolean {
  if (binary.readUInt32BE(0) !== 0x7f454c46 || binary[4] !== 2) return false; // ELF64 only
  const phoff = Number(binary.readBigUInt64LE(0x20));
  const phentsize = binary.readUInt16LE(0x36);
  const phnum = binary.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) if (binary.readUInt32LE(phoff + i * phentsize) === 3) return false;
  return true;
}

function findBusybox(): { path: string; binary: Buffer } {
  for (const path of CANDIDATES) {
    if (!existsSync(path)) continue;
    const binary = readFileSync(path);
    if (isStaticElf(binary)) return { path, binary };
  }
  throw new Error('No static busybox found: install it with `apt-get install -y busybox-static`');
}

async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch {
    return false;
  }
}

async function buildImage(docker: Docker, ref: string, busybox: { path: string }): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'dokku-test-image-'));
  try {
    for (const dir of ['bin', 'tmp', 'www', 'etc', 'root']) mkdirSync(join(root, dir), { mode: dir === 'tmp' ? 0o1777 : 0o755 });
    copyFileSync(busybox.path, join(root, 'bin/busybox'));
    const { stdout } = await execa(busybox.path, ['--list']);
    for (const applet of stdout.split('\n').map((s) => s.trim()).filter((s) => s && s !== 'busybox' && !s.includes('/'))) {
      symlinkSync('busybox', join(root, 'bin', applet));
    }
    const tar = execa('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', root, '-c', '.'], { buffer: false, encoding: 'buffer' });
    const stream = (await docker.importImage(tar.stdout as unknown as NodeJS.ReadableStream, {
      repo: REPO,
      tag: ref.split(':')[1],
      changes: ['ENV PATH=/bin', 'WORKDIR /', 'CMD ["/bin/sh"]'],
    } as never)) as unknown as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())));
    await tar;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Serializes builders across test files (separate processes) with an O_EXCL lock file. */
async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      closeSync(openSync(path, 'wx'));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(path).mtimeMs > 120_000) unlinkSync(path); // its builder died
      } catch {
        // released meanwhile
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}

const pending = new Map<string, Promise<string>>();

/** The image's reference (`dokku-test/busybox:<hash>`), built on first use; safe to call concurrently. */
export function ensureTestImage(docker: Docker): Promise<string> {
  const busybox = findBusybox();
  const ref = `${REPO}:${createHash('sha256').update(busybox.binary).update('layout-1').digest('hex').slice(0, 12)}`;
  let p = pending.get(ref);
  if (!p) {
    p = (async () => {
      if (await imageExists(docker, ref)) return ref;
      return withFileLock(join(tmpdir(), `${ref.replace(/[/:]/g, '_')}.lock`), async () => {
        if (!(await imageExists(docker, ref))) await buildImage(docker, ref, busybox);
        return ref;
      });
    })();
    pending.set(ref, p);
    p.catch(() => pending.delete(ref));
  }
  return p;
}

/**
 * An app image on top of the test image: `script` runs once in it (writing /www, /app/Procfile,
 * /app/app.json…), and the result is committed as `tag` with /app as its working directory.
 */
export async function commitAppImage(docker: Docker, tag: string, script: string, env: string[] = []): Promise<string> {
  const base = await ensureTestImage(docker);
  const c = await docker.createContainer({ Image: base, Cmd: ['/bin/sh', '-c', script], Env: env });
  try {
    await c.start();
    await c.wait();
    const [repo, version] = tag.split(':');
    await c.commit({ _query: { container: c.id, repo, tag: version, pause: false }, _body: { Cmd: ['/bin/sh'], WorkingDir: '/app', Env: ['PATH=/bin'] } } as never);
  } finally {
    await c.remove({ force: true });
  }
  return tag;
}

/**
 * An app image on top of another image (a service's, for its client): the static busybox (httpd
 * for a web process, sh for CGI scripts) and `files` added, committed as `tag` with /app as its
 * working directory and no entrypoint of its own.
 */
export async function commitOnImage(docker: Docker, base: string, tag: string, files: Record<string, { text: string; mode?: number }>): Promise<string> {
  const { writeTar, file, dir } = await import('../../src/lib/tar.ts');
  const busybox = findBusybox();
  const dirs = new Set<string>(['usr', 'usr/local', 'usr/local/bin']);
  for (const path of Object.keys(files)) for (let p = path.slice(0, path.lastIndexOf('/')); p; p = p.slice(0, Math.max(0, p.lastIndexOf('/')))) dirs.add(p);
  const tar = writeTar([
    ...[...dirs].sort().map((d) => dir(d)),
    file('usr/local/bin/busybox', busybox.binary, 0o755),
    ...Object.entries(files).map(([path, f]) => file(path, f.text, f.mode ?? 0o644)),
  ]);
  const c = await docker.createContainer({ Image: base, Entrypoint: [], Cmd: ['/bin/true'] });
  try {
    await c.putArchive(tar, { path: '/' });
    const [repo, version] = tag.split(':');
    await c.commit({ _query: { container: c.id, repo, tag: version, pause: false }, _body: { Entrypoint: [], Cmd: ['/bin/sh'], WorkingDir: '/app' } } as never);
  } finally {
    await c.remove({ force: true });
  }
  return tag;
}
