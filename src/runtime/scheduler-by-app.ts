import type { SchedulerName } from '../lib/schedulers.ts';
import type { ReleaseSpec } from '../lib/types.ts';
import type { DeployRequest, Scheduler } from './scheduler.ts';

/**
 * The scheduler the pipeline sees: each call goes to the one the app selected (`scheduler:set`),
 * so the pipeline stays one pipeline. A swarm app's release runs the image its release pushed.
 */
export interface SchedulerChoice {
  schedulers: Record<SchedulerName, () => Promise<Scheduler>>;
  /** The app's selected scheduler (an app that no longer exists: the default). */
  selected(app: string): SchedulerName;
  /** The registry reference the app's local image was pushed as, if it was. */
  pushed(app: string, image: string): string | undefined;
}

const NAMES: SchedulerName[] = ['docker-local', 'swarm'];

export function schedulerByApp(choice: SchedulerChoice): Scheduler {
  const pick = (app: string) => choice.schedulers[choice.selected(app)]();
  const others = (app: string) => NAMES.filter((n) => n !== choice.selected(app)).map((n) => choice.schedulers[n]());
  /** A swarm app's release runs from the registry; elsewhere the local image stands. */
  const image = (release: ReleaseSpec): ReleaseSpec => {
    if (choice.selected(release.app) !== 'swarm') return release;
    const ref = choice.pushed(release.app, release.image);
    return ref ? { ...release, image: ref } : release;
  };
  const request = (req: DeployRequest): DeployRequest => ({ ...req, release: image(req.release) });

  return {
    async deploy(req) {
      const result = await (await pick(req.app)).deploy(request(req));
      // The app moved: what the other scheduler still runs of it goes once traffic is on the new one.
      for (const other of await Promise.all(others(req.app))) await other.vacate?.(req.app);
      return result;
    },
    async retireContainers(app, ids, wait, onLine) {
      return (await pick(app)).retireContainers(app, ids, wait, onLine);
    },
    async scale(req) {
      return (await pick(req.app)).scale(request(req));
    },
    async restart(req) {
      return (await pick(req.app)).restart(request(req));
    },
    stop: async (app) => (await pick(app)).stop(app),
    start: async (app) => (await pick(app)).start(app),
    status: async (app) => (await pick(app)).status(app),
    inspect: async (app) => (await pick(app)).inspect(app),
    upstreams: async (app) => (await pick(app)).upstreams(app),
    async destroy(app) {
      // A destroyed app's choice may be gone with it: every scheduler lets go of it.
      await (await pick(app)).destroy(app);
      for (const other of await Promise.all(others(app))) await other.vacate?.(app);
    },
    async removeInterrupted(app, servingPorts) {
      return (await pick(app)).removeInterrupted?.(app, servingPorts) ?? [];
    },
    logs: async (app, opts, onLine) => (await pick(app)).logs(app, opts, onLine),
    run: async (app, release, command, opts) => (await pick(app)).run(app, image(release), command, opts),
    runDetached: async (app, release, command, env) => (await pick(app)).runDetached(app, image(release), command, env),
    oneOffs: async (app) => (await pick(app)).oneOffs(app),
    stopOneOff: async (app, name) => (await pick(app)).stopOneOff(app, name),
    enter: async (app, type, index, command, terminal) => (await pick(app)).enter(app, type, index, command, terminal),
    async checkRunning(release, checks, only, onLine) {
      const s = await pick(release.app);
      if (!s.checkRunning) return [];
      return s.checkRunning(image(release), checks, only, onLine);
    },
    async forgetImage(app, image) {
      // Whichever scheduler the app runs on now, an earlier release's image may carry registry names.
      for (const s of await Promise.all(NAMES.map((n) => choice.schedulers[n]()))) await s.forgetImage?.(app, image);
    },
    async prepareImage(release, onLine) {
      if (choice.selected(release.app) !== 'swarm' || choice.pushed(release.app, release.image)) return undefined;
      return (await pick(release.app)).prepareImage?.(release, onLine);
    },
  };
}
