/**
 * A non-admin key (a tenant) may not name paths on the server: hostile certificate inputs and
 * buildpack URLs, run as real processes as the key would run them (NAME, FINGERPRINT and
 * SSH_ORIGINAL_COMMAND, no argv). Each case asserts the exit code, one stderr line, nothing on
 * stdout, no certificate files written, and a log that gained nothing but one AccessDenied for a
 * tenant-only refusal (nothing at all for malformed input). The memory case feeds /dev/zero to an
 * admin's certs:add and watches the child's peak RSS.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dir, file, symlink, writeTar } from '../../src/lib/tar.ts';
import { childEnv, eventRows, makeRoot, removeRoots, requireDist, STACK_TRACE, TARGETS, withDb, type RunResult, type Target } from '../helpers/cli.ts';
import { makeKeyPair, type KeyPair } from '../helpers/sshd.ts';
import { ADMIN_ONLY_BUILDPACKS, MALFORMED_BUILDPACKS, TENANT_BUILDPACKS } from '../fixtures/buildpack-inputs.ts';

beforeAll(requireDist);
afterAll(removeRoots);

const scratch = makeRoot('dokku-tenant-scratch-');

function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A certificate for `name` and its key, and an unrelated key. */
function makeCert(name: string): { crt: string; key: string; crtPath: string; keyPath: string } {
  const keyPath = join(scratch, `${name}.key`);
  const crtPath = join(scratch, `${name}.crt`);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyPath, '-out', crtPath, '-days', '30', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`]);
  return { crt: readFileSync(crtPath, 'utf8'), key: readFileSync(keyPath, 'utf8'), crtPath, keyPath };
}

/** Single-quoted for the SSH command tokenizer (words here hold no single quote). */
const q = (word: string) => `'${word}'`;

/** Every projection table (not the log itself): a refusal may not change any of them. */
function stateDigest(root: string): string {
  return withDb(root, (db) => {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('events', 'schema_migrations') AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map((t) => t.name);
    return createHash('sha256').update(JSON.stringify(tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}"`).all()]))).digest('hex');
  });
}

/** Every file under $DOKKU_ROOT/certs, with a digest of its content. */
function certFiles(root: string): string[] {
  const base = join(root, 'certs');
  const out: string[] = [];
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(`${p.slice(base.length)} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(base);
  return out;
}

describe.each(TARGETS)('a tenant and server paths ($name)', (target: Target) => {
  const root = makeRoot(`dokku-tenant-${target.name}-`);
  let alice: KeyPair;
  let bob: KeyPair;
  let web: { crt: string; key: string; crtPath: string; keyPath: string };
  let other: { crt: string; key: string; crtPath: string; keyPath: string };
  let aliceId: string;

  const local = (words: string[], input: string | Buffer = ''): RunResult => {
    const r = spawnSync(target.command, [...target.args, ...words], { env: childEnv(root), input, encoding: 'utf8', timeout: 30_000 });
    if (r.error && !((r.error as NodeJS.ErrnoException).code === 'EPIPE' && r.status !== null)) throw r.error;
    return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
  };
  const ok = (words: string[], input: string | Buffer = '') => {
    const r = local(words, input);
    expect(r.code, `${words.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };
  /** As the key's forced command runs it. */
  const asKey = (key: 'alice' | 'bob', command: string, input: string | Buffer = ''): RunResult => {
    const pair = key === 'alice' ? alice : bob;
    const env = childEnv(root, { NAME: key, FINGERPRINT: pair.fingerprint, SSH_ORIGINAL_COMMAND: command });
    const r = spawnSync(target.command, target.args, { env, input, encoding: 'utf8', timeout: 30_000, maxBuffer: 16 * 1024 * 1024 });
    // A refusal at the input cap exits without reading the rest of stdin.
    if (r.error && !((r.error as NodeJS.ErrnoException).code === 'EPIPE' && r.status !== null)) throw r.error;
    return { code: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
  };
  const buildpacksOf = (app: string): string[] => JSON.parse(ok(['buildpacks:list', app, '--format', 'json']).stdout) as string[];

  beforeAll(() => {
    alice = makeKeyPair(scratch, `alice-${target.name}`);
    bob = makeKeyPair(scratch, `bob-${target.name}`);
    ok(['ssh-keys:add', 'alice', alice.pub]);
    ok(['ssh-keys:add', 'bob', bob.pub]);
    ok(['apps:create', 'web']);
    ok(['apps:create', 'alice-app']);
    ok(['acl:add', 'web', 'bob']);
    web = makeCert('web.example.org');
    other = makeCert('alice.example.org');
    ok(['certs:add', 'alice-app', other.crtPath, other.keyPath]);
    aliceId = withDb(root, (db) => (db.prepare("SELECT id FROM apps WHERE name = 'alice-app'").get() as { id: string }).id);
  });

  /** Refused to the tenant: one line, exit 1, only an AccessDenied appended, no certificate written. */
  function expectDenied(command: string, input: string | Buffer, reason: RegExp): RunResult {
    const state = stateDigest(root);
    const certs = certFiles(root);
    const before = eventRows(root).length;
    const r = asKey('bob', command, input);
    expect(r.code, `${command}: ${r.stderr}`).toBe(1);
    expect(r.stdout, command).toBe('');
    expect(r.stderr.trimEnd().split('\n'), command).toEqual([expect.stringMatching(/^ !     Access denied for key bob: /)]);
    expect(r.stderr, command).toMatch(reason);
    expect(r.stderr, command).not.toMatch(STACK_TRACE);
    const added = eventRows(root).slice(before);
    expect(added.map((e) => [e.type, e.actor]), command).toEqual([['AccessDenied', 'bob']]);
    expect(stateDigest(root), command).toBe(state);
    expect(certFiles(root), command).toEqual(certs);
    return r;
  }

  /** A user error for anyone: one line, exit 1, nothing appended at all, no certificate written. */
  function expectRefused(run: () => RunResult, label: string, message?: RegExp, codes: number[] = [1]): RunResult {
    const state = stateDigest(root);
    const certs = certFiles(root);
    const before = eventRows(root).length;
    const r = run();
    expect(codes, `${label}: exit ${r.code}: ${r.stderr}`).toContain(r.code);
    expect(r.stdout, label).toBe('');
    // One line; a usage error (exit 2, a word cac reads as an option) adds its usage line.
    expect(r.stderr.trimEnd().split('\n').slice(0, 1), label).toEqual([expect.stringMatching(/^ !     \S/)]);
    expect(r.stderr.trimEnd().split('\n').length, label).toBe(r.code === 2 ? 2 : 1);
    expect(r.stderr, label).not.toMatch(STACK_TRACE);
    expect(r.stderr, label).not.toMatch(/Access denied/);
    if (message) expect(r.stderr, label).toMatch(message);
    expect(eventRows(root).length, label).toBe(before);
    expect(stateDigest(root), label).toBe(state);
    expect(certFiles(root), label).toEqual(certs);
    return r;
  }

  describe('certificate files', () => {
    const PATHS_REFUSED = /certificate and key files are paths on the server: pipe them on stdin/;
    const pathCases = (): Array<[string, string]> => [
      ['another app\'s certificate and key', `certs:add web ${q(join(root, 'certs', aliceId, 'server.crt'))} ${q(join(root, 'certs', aliceId, 'server.key'))}`],
      ['another app\'s files through certs:update', `certs:update web ${q(join(root, 'certs', aliceId, 'server.crt'))} ${q(join(root, 'certs', aliceId, 'server.key'))}`],
      ['a file that exists', 'certs:add web /etc/passwd /etc/passwd'],
      ['a file that does not exist', 'certs:add web /nonexistent/a.crt /nonexistent/a.key'],
      ['the state directory', `certs:add web ${q(root)} ${q(root)}`],
      ['the database', `certs:add web ${q(join(root, 'dokku.db'))} ${q(join(root, 'dokku.db'))}`],
      ['/dev/zero', 'certs:add web /dev/zero /dev/zero'],
      ['relative paths', 'certs:add web server.crt server.key'],
      ['a traversal', 'certs:update web ../../../etc/shadow ../../../etc/shadow'],
      ['one path only', 'certs:add web /etc/passwd'],
      ['a path and stdin', 'certs:add web /etc/passwd -'],
      ['its own valid files', `certs:add web ${q(web.crtPath)} ${q(web.keyPath)}`],
    ];

    it('are refused to a tenant before anything is opened, whether they exist or not', () => {
      const lines = new Map<string, string>();
      for (const [label, command] of pathCases()) {
        const r = expectDenied(command, '', PATHS_REFUSED);
        lines.set(label, r.stderr);
      }
      // No oracle: an existing file, a missing one and another app's key read the same refusal.
      expect(new Set([lines.get('a file that exists'), lines.get('a file that does not exist'), lines.get("another app's certificate and key")]).size).toBe(1);
      expect(certFiles(root).some((f) => f.startsWith('/web') || f.includes(`/${withDb(root, (db) => (db.prepare("SELECT id FROM apps WHERE name = 'web'").get() as { id: string }).id)}/`))).toBe(false);
    });

    it('still work for an admin key and for local use', () => {
      ok(['apps:create', 'admin-paths']);
      expect(ok(['certs:add', 'admin-paths', web.crtPath, web.keyPath]).stdout).toContain('Added certificate for web.example.org to admin-paths');
      const r = asKey('alice', `certs:update admin-paths ${q(other.crtPath)} ${q(other.keyPath)}`);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('Added certificate for alice.example.org to admin-paths');
      // An admin's bad path is a plain error naming the file (the admin may know what exists).
      expectRefused(() => local(['certs:add', 'admin-paths', '/nonexistent/x.crt', '/nonexistent/x.key']), 'admin missing file', /Cannot read certificate \/nonexistent\/x\.crt: ENOENT/);
      expectRefused(() => local(['certs:add', 'admin-paths', scratch, scratch]), 'admin directory', /Cannot read certificate .*: EISDIR/);
    });
  });

  it("certs:show prints the installed certificate and key as PEM; another app's key is refused to a tenant", () => {
    expect(ok(['certs:show', 'alice-app', 'crt']).stdout).toBe(`${other.crt.trimEnd()}\n`);
    expect(ok(['certs:show', 'alice-app', 'key']).stdout).toBe(`${other.key.trimEnd()}\n`);
    const r = expectDenied("certs:show alice-app key", '', /alice-app/);
    expect(r.stderr).not.toContain('PRIVATE KEY');
  });

  describe('certificates on stdin', () => {
    it('a tar of server.crt and server.key, or the PEM pair concatenated, installs for a tenant', () => {
      const tar = writeTar([file('server.crt', web.crt), file('server.key', web.key)]);
      const r = asKey('bob', 'certs:add web', tar);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('Added certificate for web.example.org to web');
      const pem = asKey('bob', 'certs:update web', `${other.crt}${other.key}`);
      expect(pem.code, pem.stderr).toBe(0);
      expect(pem.stdout).toContain('Added certificate for alice.example.org to web');
      const gz = asKey('bob', 'certs:update web -', gzipSync(writeTar([dir('cert'), file('cert/server.crt', web.crt), file('cert/server.key', web.key)])));
      expect(gz.code, gz.stderr).toBe(0);
      const report = JSON.parse(ok(['certs:report', 'web', '--format', 'json']).stdout) as Record<string, unknown>;
      expect(report['ssl-hostnames']).toBe('web.example.org');
    });

    const mib = 1024 * 1024;
    const stdinCases = (): Array<[string, string | Buffer, RegExp]> => [
      ['nothing', '', /Nothing on stdin/],
      ['text that is neither', 'hello\n', /stdin is not a tar archive or PEM certificate and key|must hold server\.crt/],
      ['binary garbage', Buffer.alloc(4096, 0x41), /not a tar archive/],
      ['5 MiB of zeros', Buffer.alloc(5 * mib), /larger than 4 MiB/],
      ['5 MiB of PEM-looking text', `-----BEGIN CERTIFICATE-----\n${'A'.repeat(5 * mib)}`, /larger than 4 MiB/],
      ['a certificate without its key', web.crt, /No PEM private key/],
      ['a key without a certificate', web.key, /No PEM certificate/],
      ['two keys', `${web.crt}${web.key}${other.key}`, /2 private keys on stdin/],
      ['a key of another certificate', `${web.crt}${other.key}`, /does not belong to the certificate/],
      ['a certificate block of garbage', `-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n${web.key}`, /Not a valid certificate/],
      ['a key block of garbage', `${web.crt}-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n`, /Not a valid private key/],
      ['PEM with a NUL byte', `${web.crt}\0${web.key}`, /NUL byte/],
      ['2 MiB of certificates', `${web.crt.repeat(Math.ceil((2 * mib) / web.crt.length))}${web.key}`, /larger than/],
      ['a tar without the key', writeTar([file('server.crt', web.crt)]), /must hold server\.crt and server\.key/],
      ['a tar with the crt as a symlink to /etc/passwd', writeTar([symlink('server.crt', '/etc/passwd'), file('server.key', web.key)]), /server\.crt in the tar must be a regular file/],
      ['a tar with the crt as a symlink to another app', writeTar([symlink('server.crt', join(root, 'certs', 'x', 'server.crt')), symlink('server.key', join(root, 'certs', 'x', 'server.key'))]), /must be a regular file/],
      ['a tar with the crt as a directory', writeTar([dir('server.crt'), file('server.key', web.key)]), /must be a regular file/],
      ['a tar with the crt twice', writeTar([file('server.crt', web.crt), file('a/server.crt', other.crt), file('server.key', web.key)]), /server\.crt more than once/],
      ['a tar with a 2 MiB crt', writeTar([file('server.crt', Buffer.alloc(2 * mib, 0x41)), file('server.key', web.key)]), /server\.crt is larger than 1 MiB/],
      ['a truncated tar', writeTar([file('server.crt', web.crt), file('server.key', web.key)]).subarray(0, 700), /Truncated tar|must hold/],
      ['a gzip bomb', gzipSync(Buffer.alloc(64 * mib)), /unpacks to more than 4 MiB/],
      ['corrupt gzip', Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(100, 7)]), /gzip data is corrupt/],
      ['a tar with mismatched files', writeTar([file('server.crt', web.crt), file('server.key', other.key)]), /does not belong to the certificate/],
    ];

    it('refuses hostile stdin with one line and writes nothing, for a tenant and for an admin', () => {
      for (const [label, input, message] of stdinCases()) {
        expectRefused(() => asKey('bob', 'certs:add web', input), `tenant: ${label}`, message);
        expectRefused(() => local(['certs:update', 'alice-app'], input), `local: ${label}`, message);
      }
    });
  });

  describe('buildpack URLs', () => {
    it('malformed ones are refused to everyone when set, and nothing is recorded', () => {
      for (const text of MALFORMED_BUILDPACKS) {
        if (text === '' || text.includes('\0')) continue; // not expressible as one argv word
        const codes = text.startsWith('-') ? [2] : [1];
        expectRefused(() => local(['buildpacks:add', 'web', text]), `local ${JSON.stringify(text).slice(0, 60)}`, undefined, codes);
        expectRefused(() => local(['buildpacks:set', 'alice-app', text]), `local set ${JSON.stringify(text).slice(0, 60)}`, undefined, codes);
      }
      // Over SSH as the tenant: refused by the tokenizer or by the validator, never recorded.
      for (const text of MALFORMED_BUILDPACKS.filter((t) => !t.includes("'") && !t.includes('\0') && t.length < 4000)) {
        expectRefused(() => asKey('bob', `buildpacks:add web ${q(text)}`), `tenant ${JSON.stringify(text).slice(0, 60)}`, undefined, text.startsWith('-') ? [2] : [1]);
      }
      expect(buildpacksOf('web')).toEqual([]);
      expectRefused(() => local(['buildpacks:add', 'web', 'nosuchbuiltin']), 'nosuchbuiltin', /Unknown buildpack 'nosuchbuiltin': use a built-in one \(nodejs, python, static, procfile\) or a git URL/);
      expectRefused(() => local(['buildpacks:add', 'web', 'a'.repeat(5000)]), '5000 characters', /Invalid buildpack: 5000 characters, at most 1024/);
    });

    it('server paths, file:// and plain transports are refused to a tenant through AccessDenied, and taken from an admin', () => {
      for (const text of ADMIN_ONLY_BUILDPACKS) {
        for (const verb of ['buildpacks:add', 'buildpacks:set']) {
          expectDenied(`${verb} web ${q(text)}`, '', /names a path on the server|non-admin keys may use https:\/\/, ssh:\/\/ and git@host:path URLs only/);
        }
      }
      expect(buildpacksOf('web')).toEqual([]);
      for (const text of ADMIN_ONLY_BUILDPACKS) ok(['buildpacks:add', 'alice-app', text]);
      expect(buildpacksOf('alice-app')).toEqual(ADMIN_ONLY_BUILDPACKS);
      const r = asKey('alice', `buildpacks:set alice-app ${q('file:///home/dokku/web.git#bp')}`);
      expect(r.code, r.stderr).toBe(0);
    });

    it('BUILDPACK_URL in config:set is checked as buildpacks:set checks a buildpack', () => {
      expectDenied(`config:set web ${q('BUILDPACK_URL=file:///home/dokku/web.git#bp')} --no-restart`, '', /names a path on the server/);
      expectDenied('config:set web BUILDPACK_URL=/home/dokku/alice.git --no-restart', '', /names a path on the server/);
      expectRefused(() => asKey('bob', `config:set web ${q('BUILDPACK_URL=https://x#--upload-pack=id')} --no-restart`), 'tenant option-like ref', /must not start with -/);
      expectRefused(() => local(['config:set', 'alice-app', 'BUILDPACK_URL=nosuchbuiltin', '--no-restart']), 'admin unknown', /Unknown buildpack 'nosuchbuiltin'/);
      ok(['config:set', 'alice-app', 'BUILDPACK_URL=file:///srv/bp.git', '--no-restart']);
      const r = asKey('bob', `config:set web ${q('BUILDPACK_URL=https://example.com/bp.git#v1')} --no-restart`);
      expect(r.code, r.stderr).toBe(0);
    });

    it('config:import checks BUILDPACK_URL as config:set does; app-json:set takes only paths inside the repository', () => {
      expectDenied('config:import web --no-restart', 'BUILDPACK_URL=/home/dokku/alice.git\n', /names a path on the server/);
      expectRefused(() => asKey('bob', 'app-json:set web appjson-path /home/dokku/alice-app/app.json'), 'absolute appjson-path', /not an absolute path/);
      expectRefused(() => asKey('bob', 'app-json:set web appjson-path ../alice-app/app.json'), 'climbing appjson-path', /'\.\.' may not appear/);
      const r = asKey('bob', 'app-json:set web appjson-path deploy/app.json');
      expect(r.code, r.stderr).toBe(0);
    });

    it('a tenant may set built-ins, https://, ssh:// and git@host:path URLs', () => {
      for (const text of TENANT_BUILDPACKS) {
        const r = asKey('bob', `buildpacks:add web ${q(text)}`);
        expect(r.code, `${text}: ${r.stderr}`).toBe(0);
      }
      expect(buildpacksOf('web')).toEqual(TENANT_BUILDPACKS);
    });
  });
});

describe('memory', () => {
  const target = TARGETS.find((t) => t.name === 'compiled')!;
  const root = makeRoot('dokku-tenant-mem-');

  /** Runs the CLI, reading the child's VmHWM (peak RSS) from /proc while it runs. */
  function peakRss(words: string[]): Promise<RunResult & { peakKiB: number }> {
    return new Promise((resolve, reject) => {
      const child = spawn('/usr/bin/time', ['-f', 'maxrss=%M', target.command, ...target.args, ...words], { env: childEnv(root), stdio: 'pipe' });
      let stdout = '';
      let stderr = '';
      let peakKiB = 0;
      const started = Date.now();
      const poll = setInterval(() => {
        const pids = [child.pid!, ...childPids(child.pid!)];
        for (const pid of pids) {
          try {
            const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
            if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
          } catch {
            // gone already
          }
        }
        // A run that grows without bound is stopped here (the assertion then fails), not left to eat the machine.
        if (peakKiB > 400 * 1024 || Date.now() - started > 30_000) for (const pid of pids.reverse()) killQuietly(pid);
      }, 5);
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => {
        clearInterval(poll);
        const m = /maxrss=(\d+)/.exec(stderr);
        if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
        const own = stderr.split('\n').filter((l) => !/^maxrss=\d+$|^Command exited with non-zero status \d+$/.test(l)).join('\n');
        resolve({ code: code ?? 128, stdout, stderr: own, peakKiB });
      });
      child.stdin.end();
    });
  }

  function killQuietly(pid: number): void {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  function childPids(pid: number): number[] {
    try {
      return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  beforeAll(() => {
    const r = spawnSync(target.command, ['apps:create', 'mem'], { env: childEnv(root), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('certs:add of /dev/zero as a local admin is refused at the cap with a peak RSS under 300 MB', async () => {
    const before = eventRows(root).length;
    const r = await peakRss(['certs:add', 'mem', '/dev/zero', '/dev/zero']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr.trimEnd().split('\n')).toEqual([' !     Certificate /dev/zero is larger than 1 MiB']);
    expect(r.peakKiB).toBeGreaterThan(0);
    expect(r.peakKiB).toBeLessThan(300 * 1024);
    expect(eventRows(root).length).toBe(before);
  }, 60_000);
});
