import { describe, expect, it } from 'vitest';
import { schedulerByApp } from '../../../src/runtime/scheduler-by-app.ts';
import type { DeployRequest, Scheduler } from '../../../src/runtime/scheduler.ts';
import type { ReleaseSpec } from '../../../src/lib/types.ts';

/** A scheduler that writes down what it was asked, and with which image. */
function recorder(name: string, calls: string[]): Scheduler {
  const note = (what: string) => calls.push(`${name}:${what}`);
  return {
    deploy: async (req) => (note(`deploy ${req.app} ${req.release.image}`), { containers: [], upstreams: [] }),
    retireContainers: async (app) => void note(`retire ${app}`),
    scale: async (req) => (note(`scale ${req.app} ${req.release.image}`), { containers: [], upstreams: [] }),
    restart: async (req) => (note(`restart ${req.app}`), { containers: [], upstreams: [] }),
    stop: async (app) => void note(`stop ${app}`),
    start: async (app) => (note(`start ${app}`), []),
    status: async (app) => (note(`status ${app}`), []),
    inspect: async () => [],
    upstreams: async () => [],
    destroy: async (app) => void note(`destroy ${app}`),
    vacate: async (app) => void note(`vacate ${app}`),
    logs: async () => {},
    run: async (app, release) => (note(`run ${app} ${release.image}`), 0),
    runDetached: async () => 'x',
    oneOffs: async () => [],
    stopOneOff: async () => {},
    enter: async () => 0,
    prepareImage: async (release) => (note(`push ${release.app}`), `reg:5000/dokku/${release.app}@sha256:1`),
  };
}

const release = (app: string): ReleaseSpec => ({ app, version: 1, image: 'sha256:local', env: {}, processTypes: { web: 'x' }, webPort: 5000, healthchecks: {} });
const req = (app: string): DeployRequest => ({ app, release: release(app), formation: { web: 1 }, checks: { enabled: true, skip: false, wait: 1, timeout: 1, attempts: 1, waitToRetire: 0 } });

describe('schedulerByApp', () => {
  const setup = (pushed: Record<string, string> = {}) => {
    const calls: string[] = [];
    const local = recorder('local', calls);
    const swarm = recorder('swarm', calls);
    const s = schedulerByApp({
      schedulers: { 'docker-local': async () => local, swarm: async () => swarm },
      selected: (app) => (app.startsWith('sw') ? 'swarm' : 'docker-local'),
      pushed: (app, image) => pushed[`${app} ${image}`],
    });
    return { s, calls };
  };

  it("sends each app's calls to the scheduler it selected, and a deploy vacates the other one", async () => {
    const { s, calls } = setup();
    await s.deploy(req('web'));
    await s.stop('sw1');
    await s.status('web');
    expect(calls).toEqual(['local:deploy web sha256:local', 'swarm:vacate web', 'swarm:stop sw1', 'local:status web']);
  });

  it('runs a swarm app from the image its release pushed; docker-local keeps the local one', async () => {
    const { s, calls } = setup({ 'sw1 sha256:local': 'reg:5000/dokku/sw1@sha256:1' });
    await s.scale(req('sw1'));
    await s.run('sw1', release('sw1'), ['true'], { stdout: process.stdout, stderr: process.stderr, tty: false });
    await s.run('web', release('web'), ['true'], { stdout: process.stdout, stderr: process.stderr, tty: false });
    expect(calls).toEqual(['swarm:scale sw1 reg:5000/dokku/sw1@sha256:1', 'swarm:run sw1 reg:5000/dokku/sw1@sha256:1', 'local:run web sha256:local']);
  });

  it('pushes only for a swarm app whose image went nowhere yet', async () => {
    const { s, calls } = setup({ 'sw2 sha256:local': 'reg:5000/dokku/sw2@sha256:1' });
    expect(await s.prepareImage!(release('web'))).toBeUndefined();
    expect(await s.prepareImage!(release('sw2'))).toBeUndefined();
    expect(await s.prepareImage!(release('sw1'))).toBe('reg:5000/dokku/sw1@sha256:1');
    expect(calls).toEqual(['swarm:push sw1']);
  });

  it('destroys with the selected scheduler and lets the other one go of the app too', async () => {
    const { s, calls } = setup();
    await s.destroy('sw1');
    expect(calls).toEqual(['swarm:destroy sw1', 'local:vacate sw1']);
  });
});
