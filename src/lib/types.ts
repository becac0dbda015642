import type { ContainerOptions } from './container-options.ts';
import type { RunSettings } from './run-settings.ts';
import type { CronTask } from './cron.ts';

/**
 * Values that cross module boundaries between build, release, runtime and the deploy pipeline.
 * Plain data only: no handles, no promises.
 */

/** Procfile process types: name → command. An empty command means the image's own CMD. */
export type ProcessTypes = Record<string, string>;

/** How many containers of each process type should run. */
export type Formation = Record<string, number>;

/** One app.json healthcheck, in Dokku's shape (`healthchecks.web[]`). */
export interface Healthcheck {
  type: 'startup' | 'liveness' | 'readiness';
  name?: string;
  /** HTTP path to GET; without one the check is "port accepts connections". */
  path?: string;
  /** Text the response body must contain. */
  content?: string;
  attempts?: number;
  /** Seconds per attempt. */
  timeout?: number;
  /** Seconds between attempts. */
  wait?: number;
  initialDelay?: number;
  port?: number;
}

/** What app.json contributes to a deploy. */
export interface AppJson {
  healthchecks: Record<string, Healthcheck[]>;
  /** `scripts.dokku.predeploy` / `postdeploy`: every deploy. */
  predeploy?: string;
  postdeploy?: string;
  /** Top-level `scripts.postdeploy`: the app's first deploy only (Heroku's meaning). */
  firstPostdeploy?: string;
  /** `env`: a default value set when the app has none; `required` refuses a deploy without one. */
  env?: Record<string, AppJsonEnv>;
  /** `formation.<type>.quantity`: the scale of each named process type, applied on every deploy. */
  formation?: Record<string, number>;
  /** `cron`: scheduled one-off commands of the current release (`cron:list`). */
  cron?: CronTask[];
  /** `buildpacks[].url`: used when the app has no buildpacks set. */
  buildpacks?: string[];
}

export interface AppJsonEnv {
  value?: string;
  required: boolean;
  description?: string;
}

/** The result of a successful build. */
export interface BuildResult {
  /** Image id (sha256:...) of the built image. */
  imageId: string;
  /** Tag it was given, e.g. dokku/myapp:build-3. */
  imageTag: string;
  builder: 'herokuish' | 'dockerfile' | 'image' | 'null';
  buildpack?: string;
  processTypes: ProcessTypes;
  /** Container ports from a Dockerfile's EXPOSE, e.g. [5000] (tcp only). */
  exposedPorts: number[];
  appJson: AppJson;
  /** The source's nginx.conf.sigil (or the file nginx-conf-sigil-path names), kept with the release. */
  nginxTemplate?: string;
  seconds: number;
}

/** Everything the scheduler needs to run one release; a rollback is the same shape again. */
export interface ReleaseSpec {
  app: string;
  /**
   * Docker options plugins printed for this deploy (`docker-args-deploy` per process type,
   * `docker-args-run` under `run`), after the release's own: asked again on every deploy, as Dokku does.
   */
  pluginOptions?: Record<string, string>;
  version: number;
  image: string;
  /** Full config snapshot (global merged with the app's), without PORT/DYNO which the runtime adds. */
  env: Record<string, string>;
  processTypes: ProcessTypes;
  /** Port the web process listens on inside its container (5000 unless a Dockerfile EXPOSEs another). */
  webPort: number;
  /** Every tcp port the image EXPOSEs when more than one; each is published and routed as http:P:P. */
  exposedPorts?: number[];
  healthchecks: Record<string, Healthcheck[]>;
  /** Restart policy, stop timeout and log size the containers are made with (`ps:set`, `logs:set`). */
  options?: ContainerOptions;
  /** Mounts, resources, docker options and networks the release records its containers run with. */
  run?: RunSettings;
}

/** Default checks when app.json has none: port open, and still running `wait` seconds later. */
export interface CheckSettings {
  enabled: boolean;
  /** Skip checks for this deploy only. */
  skip: boolean;
  wait: number;
  timeout: number;
  attempts: number;
  waitToRetire: number;
}

/** Where nginx should send an app's web traffic. */
export interface Upstream {
  processType: string;
  containerName: string;
  host: string;
  port: number;
  /** Loopback ports of the container's other exposed ports, by container port (multi-EXPOSE images). */
  ports?: Record<string, number>;
}
