import { describe, expect, it } from 'vitest';
import { LABEL } from '../../../src/lib/labels.ts';
import { containerName, containerSpec, oneOffSpec, procfileCommand, upcomingName } from '../../../src/runtime/container-spec.ts';
import type { ReleaseSpec } from '../../../src/lib/types.ts';

const release: ReleaseSpec = {
  app: 'shop',
  version: 7,
  image: 'dokku/shop:build-7',
  env: { GREETING: 'hello world', QUOTED: `it's "$HOME"` },
  processTypes: { web: 'node server.js --port $PORT', worker: 'node worker.js', clock: '' },
  webPort: 5000,
  healthchecks: {},
};

describe('containerSpec', () => {
  it('names, labels and runs a web container as Dokku does', () => {
    const spec = containerSpec(release, 'web', 2, { hostPort: 41234 });
    expect(spec.name).toBe('shop.web.2');
    expect(spec.Image).toBe('dokku/shop:build-7');
    expect(spec.Labels).toEqual({
      'com.dokku.app': 'shop',
      'com.dokku.release': '7',
      'com.dokku.process-type': 'web',
      'com.dokku.process-index': '2',
      'com.dokku.web-port': '5000',
    });
    expect(spec.Cmd).toEqual(['/bin/sh', '-c', 'node server.js --port $PORT']);
    expect(spec.Entrypoint).toBeUndefined();
    expect(spec.ExposedPorts).toEqual({ '5000/tcp': {} });
    expect(spec.HostConfig?.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 10 });
    expect(spec.HostConfig?.PortBindings).toEqual({ '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: '41234' }] });
    expect(spec.HostConfig?.Init).toBe(true);
  });

  it('leaves the host port to Docker when none is given', () => {
    expect(containerSpec(release, 'web', 1).HostConfig?.PortBindings).toEqual({ '5000/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
  });

  it('sets the environment: config, then PORT for web, DYNO and the release, which win', () => {
    const env = containerSpec({ ...release, env: { ...release.env, DYNO: 'spoofed' } }, 'web', 2).Env;
    expect(env).toEqual([
      'GREETING=hello world',
      `QUOTED=it's "$HOME"`,
      'PORT=5000',
      'DYNO=web.2',
      'DOKKU_APP_NAME=shop',
      'DOKKU_RELEASE_VERSION=v7',
    ]);
  });

  it('gives workers no PORT and publishes nothing', () => {
    const spec = containerSpec(release, 'worker', 1);
    expect(spec.Env).not.toContain('PORT=5000');
    expect(spec.Env).toContain('DYNO=worker.1');
    expect(spec.ExposedPorts).toBeUndefined();
    expect(spec.HostConfig?.PortBindings).toBeUndefined();
    expect(spec.HostConfig?.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 10 });
  });

  it("runs the image's CMD when the Procfile command is empty or the type has none", () => {
    expect(containerSpec(release, 'clock', 1).Cmd).toBeUndefined();
    expect(containerSpec({ ...release, processTypes: {} }, 'web', 1).Cmd).toBeUndefined();
  });

  it('honours a web port other than 5000', () => {
    const spec = containerSpec({ ...release, webPort: 8080 }, 'web', 1);
    expect(spec.Env).toContain('PORT=8080');
    expect(spec.ExposedPorts).toEqual({ '8080/tcp': {} });
    expect(Object.keys(spec.HostConfig?.PortBindings ?? {})).toEqual(['8080/tcp']);
  });

  it('can start under a temporary name that ends in the final one plus a suffix', () => {
    const name = upcomingName('shop', 'web', 1, 'a1b2c3');
    expect(name).toBe('shop.web.1.upcoming-a1b2c3');
    expect(name.startsWith(`${containerName('shop', 'web', 1)}.`)).toBe(true);
    expect(containerSpec(release, 'web', 1, { name }).name).toBe(name);
  });
});

describe('procfileCommand', () => {
  it('runs the Procfile text through /bin/sh -c, as Heroku does', () => {
    expect(procfileCommand('  bin/web -p $PORT && echo done ')).toEqual(['/bin/sh', '-c', 'bin/web -p $PORT && echo done']);
    expect(procfileCommand('   ')).toBeUndefined();
    expect(procfileCommand(undefined)).toBeUndefined();
  });
});

describe('oneOffSpec', () => {
  it('passes the command as argv (no shell), keeps the environment, never restarts', () => {
    const spec = oneOffSpec(release, { processType: 'run', command: ['echo', '$GREETING; rm -rf /'], id: 'abc123', tty: true, interactive: true, env: { EXTRA: '1' } });
    expect(spec.name).toBe('shop.run.abc123');
    expect(spec.Cmd).toEqual(['echo', '$GREETING; rm -rf /']);
    expect(spec.Env).toContain('GREETING=hello world');
    expect(spec.Env).toContain('EXTRA=1');
    expect(spec.Env).toContain('DYNO=run.abc123');
    expect(spec.Env).toContain('DOKKU_RELEASE_VERSION=v7');
    expect(spec.Env?.some((e) => e.startsWith('PORT='))).toBe(false);
    expect(spec.Labels?.[LABEL.oneOff]).toBe('true');
    expect(spec.Labels?.[LABEL.processType]).toBe('run');
    expect(spec.Labels?.[LABEL.processIndex]).toBeUndefined();
    expect(spec.HostConfig?.RestartPolicy).toBeUndefined();
    expect(spec.Tty).toBe(true);
    expect(spec.OpenStdin).toBe(true);
    expect(spec.StdinOnce).toBe(true);
  });

  it("uses the image's CMD for an empty command and attaches no stdin unless asked", () => {
    const spec = oneOffSpec(release, { processType: 'release', command: [], id: 'x' });
    expect(spec.Cmd).toBeUndefined();
    expect(spec.Tty).toBe(false);
    expect(spec.OpenStdin).toBe(false);
    expect(spec.HostConfig?.AutoRemove).toBeUndefined();
  });

  it('a detached one-off attaches nothing and is removed by Docker when it exits', () => {
    const spec = oneOffSpec(release, { processType: 'run', command: ['sleep', '9'], id: 'd1', detached: true, interactive: true, tty: false });
    expect(spec.name).toBe('shop.run.d1');
    expect(spec.HostConfig).toEqual({ Init: true, AutoRemove: true, LogConfig: { Type: 'json-file', Config: { 'max-size': '10m' } }, NetworkMode: 'dokku.app.shop' });
    expect([spec.OpenStdin, spec.AttachStdin, spec.AttachStdout, spec.AttachStderr]).toEqual([false, false, false, false]);
    expect(spec.Labels?.[LABEL.oneOff]).toBe('true');
  });
});

describe('container options (ps:set, logs:set)', () => {
  const withOptions: ReleaseSpec = { ...release, options: { restartPolicy: 'unless-stopped', stopTimeout: 45, logMaxSize: '20m' } };

  it('makes every process container with the restart policy, stop timeout and log max-size set', () => {
    const spec = containerSpec(withOptions, 'worker', 1);
    expect(spec.HostConfig?.RestartPolicy).toEqual({ Name: 'unless-stopped' });
    expect(spec.StopTimeout).toBe(45);
    expect(spec.HostConfig?.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '20m' } });
  });

  it("uses Dokku's defaults without settings: on-failure:10, 30 s, 10m", () => {
    const spec = containerSpec(release, 'web', 1);
    expect(spec.HostConfig?.RestartPolicy).toEqual({ Name: 'on-failure', MaximumRetryCount: 10 });
    expect(spec.StopTimeout).toBe(30);
    expect(spec.HostConfig?.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-size': '10m' } });
  });

  it('leaves max-size off for unlimited and gives one-offs the log size and stop timeout, never a restart policy', () => {
    const spec = oneOffSpec({ ...withOptions, options: { ...withOptions.options!, logMaxSize: 'unlimited' } }, { processType: 'run', command: ['true'], id: 'abc123' });
    expect(spec.HostConfig?.LogConfig).toEqual({ Type: 'json-file', Config: {} });
    expect(spec.StopTimeout).toBe(45);
    expect(spec.HostConfig?.RestartPolicy).toBeUndefined();
  });

  it('sets DYNO per container and PORT only for web, and a user value cannot replace them', () => {
    const own: ReleaseSpec = { ...release, env: { DYNO: 'mine', A: 'x' } };
    expect(containerSpec(own, 'web', 3).Env).toEqual(expect.arrayContaining(['DYNO=web.3', 'PORT=5000', 'A=x', 'DOKKU_APP_NAME=shop']));
    const worker = containerSpec(own, 'worker', 2).Env!;
    expect(worker).toContain('DYNO=worker.2');
    expect(worker.some((e) => e.startsWith('PORT='))).toBe(false);
    expect(worker).not.toContain('DYNO=mine');
  });
});
