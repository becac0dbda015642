import { describe, expect, it } from 'vitest';
import { BUILD_PATHS, buildEnv, cacheVolumeName, imageConfig, LAUNCHER } from '../../../src/builder/buildpacks.ts';
import { exposedTcpPorts } from '../../../src/builder/dockerfile.ts';

describe('buildpack runner values', () => {
  it('names the cache volume per app', () => {
    expect(cacheVolumeName('my-app')).toBe('dokku-cache-my-app');
  });

  it("gives buildpacks the app's config, HOME=/app, and the CA bundle only when there is one", () => {
    const withCa = buildEnv({ MESSAGE: 'hi' }, true);
    expect(withCa).toMatchObject({ MESSAGE: 'hi', HOME: '/app', NODE_EXTRA_CA_CERTS: BUILD_PATHS.ca, npm_config_cafile: BUILD_PATHS.ca, SSL_CERT_FILE: BUILD_PATHS.ca });
    const without = buildEnv({ MESSAGE: 'hi' }, false);
    expect(without).not.toHaveProperty('NODE_EXTRA_CA_CERTS');
    expect(without).not.toHaveProperty('npm_config_cafile');
  });

  it('lets the platform override config keys it owns', () => {
    expect(buildEnv({ HOME: '/root' }, false).HOME).toBe('/app');
  });

  it('commits images that carry no config, run as the build user through the launcher', () => {
    const config = imageConfig('shop', 'nodejs', { web: 'npm start', worker: 'node w.js' }, ['PATH=/custom/bin:/usr/bin', 'SECRET=leak']);
    expect(config).toEqual({
      Entrypoint: [BUILD_PATHS.launcher],
      Cmd: ['/bin/sh', '-c', 'npm start'],
      Env: ['PATH=/custom/bin:/usr/bin', 'HOME=/app', 'LANG=C.UTF-8'],
      User: '1000:1000',
      WorkingDir: '/app',
      Labels: { 'com.dokku.app': 'shop', 'com.dokku.builder': 'herokuish', 'com.dokku.buildpack': 'nodejs' },
    });
    expect(imageConfig('shop', 'procfile', {}, []).Cmd).toEqual(['/bin/sh']);
  });

  it('sources .profile.d before running the command', () => {
    expect(LAUNCHER).toContain('/app/.profile.d/*.sh');
    expect(LAUNCHER.trim().split('\n').pop()).toBe('exec "$@"');
  });

  it('reads tcp ports from EXPOSE', () => {
    expect(exposedTcpPorts({ '5000/tcp': {}, '53/udp': {}, '8080': {}, '3000/tcp': {} })).toEqual([3000, 5000, 8080]);
    expect(exposedTcpPorts(undefined)).toEqual([]);
    expect(exposedTcpPorts(null)).toEqual([]);
  });
});
