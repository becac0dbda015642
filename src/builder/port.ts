import type { BuildPart } from '../lib/docker-options.ts';
/**
 * The builder as the deploy pipeline sees it: a source in, an image and what the pipeline needs to
 * know about it out. `dockerBuilder` (builder.ts) fills it on a Docker engine; tests fill it in memory.
 */
import type { BuildResult } from '../lib/types.ts';
import type { BuildFilePaths } from './source.ts';

export type Source =
  | { kind: 'archive'; path: string; sha?: string }
  | { kind: 'git'; path: string; sha: string }
  | { kind: 'image'; image: string }
  | { kind: 'rebuild' };

export interface BuildRequest {
  app: string;
  source: Source;
  imageTag: string;
  builder?: string;
  buildpacks: string[];
  env: Record<string, string>;
  /** Build files a setting moved inside the source: procfile-path, appjson-path, nginx-conf-sigil-path. */
  filePaths?: BuildFilePaths;
  /** The app's build-phase docker options (`docker-options:add APP build …`): Dockerfile build args and settings. */
  buildOptions?: BuildPart;
  onLine: (line: string) => void;
}

export interface Builder {
  build(req: BuildRequest): Promise<BuildResult>;
  /** Runs app.json's predeploy in the image and returns the committed image id. */
  predeploy(image: string, command: string, env: Record<string, string>, onLine: (line: string) => void): Promise<string>;
  removeImage(image: string): Promise<void>;
  /** Every image and build cache volume of the app. */
  removeAppArtifacts(app: string): Promise<void>;
  /** Empties the app's build cache volume (made again, empty, by the next build). */
  purgeCache?(app: string): Promise<void>;
  /** Build containers and work directories whose creator died (every build container of the app with `everyBuild`). */
  removeLeftovers?(app: string, opts?: { everyBuild?: boolean }): Promise<string[]>;
}
