import { UserError } from '../lib/errors.ts';

/**
 * A build that failed for a reason in the app or its buildpacks (a failing compile, a bad
 * Procfile, a Dockerfile that does not build). The message says which step failed; the build
 * output already streamed to the user holds the details.
 */
export class BuildError extends UserError {
  /** Which part failed: 'source', 'procfile', 'app.json', 'detect', 'compile', 'release', 'dockerfile', 'predeploy', 'stack', 'buildpack', 'timeout'. */
  readonly step: string;
  constructor(step: string, message: string) {
    super(message);
    this.name = 'BuildError';
    this.step = step;
  }
}
