/** What the fault suites share: an app whose build, release command and start can be made slow, and a CLI run that can be killed. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { childEnv, type Target } from '../../helpers/cli.ts';
import { tarOf } from '../../helpers/deploy.ts';
import { ensureTestImage } from '../../helpers/test-image.ts';

export type Slow = 'build' | 'release' | 'start';

const WEB = 'if [ -f /www/slow-start ]; then sleep 8; fi; echo "$MESSAGE $DOKKU_RELEASE_VERSION" > /www/index.html && exec httpd -f -p "$PORT" -h /www';

/**
 * A Dockerfile app on the offline busybox image answering `$MESSAGE v<N>`. Each call's tar differs
 * (a stamp file), so Docker's cache never skips the build; `slow` makes one step take seconds.
 */
export async function faultAppSource(docker: Docker, slow?: Slow): Promise<string> {
  const image = await ensureTestImage(docker);
  const dir = mkdtempSync(join(tmpdir(), 'dokku-fault-src-'));
  writeFileSync(
    join(dir, 'Dockerfile'),
    [`FROM ${image}`, 'COPY www /www', 'RUN if [ -f /www/slow-build ]; then sleep 8; fi', 'EXPOSE 5000', `CMD ["/bin/sh", "-c", ${JSON.stringify(WEB)}]`, ''].join('\n'),
  );
  writeFileSync(join(dir, 'Procfile'), `web: ${WEB}\nrelease: if [ -f /www/slow-release ]; then sleep 8; fi; echo released\n`);
  mkdirSync(join(dir, 'www'));
  writeFileSync(join(dir, 'www/stamp'), `${process.hrtime.bigint()}\n`);
  if (slow) writeFileSync(join(dir, `www/slow-${slow}`), '');
  const out = tarOf(dir);
  rmSync(dir, { recursive: true, force: true });
  return out;
}

export interface Killed {
  pid: number;
  /** The process's start time in clock ticks, read just before the kill. */
  ticks: number;
  stdout: string;
}

function startTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

/**
 * Runs the CLI and SIGKILLs it once a line of its output matches `at` (and then, with `andThen`,
 * once that resolves: e.g. a Docker event); fails if it ends first.
 */
export function killWhen(
  target: Target,
  root: string,
  words: string[],
  env: Record<string, string>,
  at: RegExp,
  delayMs = 0,
  andThen?: () => Promise<unknown>,
): Promise<Killed> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(target.command, [...target.args, ...words], { env: childEnv(root, env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let fired = false;
    let ticks = 0;
    const onData = (d: string) => {
      stdout += d;
      if (!fired && at.test(stdout)) {
        fired = true;
        ticks = startTicks(child.pid!);
        void (andThen ?? (() => Promise.resolve()))().then(() => setTimeout(() => child.kill('SIGKILL'), delayMs));
      }
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL' && fired) resolve({ pid: child.pid!, ticks, stdout });
      else reject(new Error(`dokku ${words.join(' ')} ended (code ${code}, signal ${signal}) before it was killed at ${at}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    });
  });
}

/** A buildpack in a local git repository whose compile prints a line, then takes `seconds`. */
export function slowBuildpack(seconds: number): string {
  const repo = mkdtempSync(join(tmpdir(), 'dokku-fault-bp-'));
  mkdirSync(join(repo, 'bin'));
  const scripts: Record<string, string> = {
    detect: '#!/bin/sh\n[ -f "$1/hello.txt" ] || exit 1\necho Slow\n',
    compile: `#!/bin/sh\necho "-----> Compiling slowly"\nsleep ${seconds}\n`,
    release: '#!/bin/sh\necho "---"\necho "default_process_types: {}"\n',
  };
  for (const [name, text] of Object.entries(scripts)) writeFileSync(join(repo, 'bin', name), text, { mode: 0o755 });
  const env = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@x', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@x' };
  for (const args of [['init', '--quiet', '--initial-branch=main'], ['add', '.'], ['commit', '--quiet', '-m', 'slow']]) {
    const r = spawnSync('git', ['-C', repo, ...args], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args[0]} failed: ${r.stderr}`);
  }
  return `file://${repo}`;
}

/** The source a buildpack build takes: a marker file for the slow buildpack and a Procfile. */
export function buildpackAppSource(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dokku-fault-bpsrc-'));
  writeFileSync(join(dir, 'hello.txt'), 'hello\n');
  writeFileSync(join(dir, 'Procfile'), 'web: sleep 3600\n');
  const out = tarOf(dir);
  rmSync(dir, { recursive: true, force: true });
  return out;
}

/** Resolves at the first Docker event of `action` on a container whose name starts with `prefix`. */
export async function dockerEvent(docker: Docker, action: string, prefix: string): Promise<() => Promise<void>> {
  const stream = (await docker.getEvents({ filters: { type: ['container'], event: [action] } })) as unknown as NodeJS.ReadableStream & { destroy(): void };
  const seen = new Promise<void>((resolve) => {
    let buf = '';
    stream.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          const name = (JSON.parse(line) as { Actor?: { Attributes?: { name?: string } } }).Actor?.Attributes?.name ?? '';
          if (name.startsWith(prefix)) {
            stream.destroy();
            resolve();
          }
        } catch {
          // a partial line
        }
      }
    });
  });
  return () => seen;
}
