import type Docker from 'dockerode';
import { afterAll, beforeAll } from 'vitest';
import { makeRoot, removeRoots, requireDist, run, TARGETS, type RunResult } from './cli.ts';
import { expectOk } from './deploy.ts';
import { connectDocker, uniqueName } from './docker.ts';
import { requireNginx, startNginx, type TestNginx } from './nginx.ts';
import { commitOnImage } from './test-image.ts';
import { viaNginx, type Reply } from '../integration/proxy/helpers.ts';

/**
 * What the service integration tests share: a root and a real nginx, a service of one kind, and an
 * app served through nginx whose CGI scripts use the service (its image is made on top of the
 * service's, so the kind's client is there), linked unless told otherwise. The hooks are registered
 * here; the fields are set once `beforeAll` ran.
 */
export interface ServiceWorld {
  root: string;
  app: string;
  service: string;
  /** The app's image (on top of the service's). */
  image: string;
  docker: Docker;
  nginx: TestNginx;
  dokku(...words: string[]): Promise<RunResult>;
  /** The command, which must exit 0. */
  ok(...words: string[]): Promise<RunResult>;
  /** A path of the app, through nginx. */
  get(path: string): Promise<Reply>;
  /** Other services of the kind the test made, destroyed afterwards. */
  also: string[];
}

export function serviceWorld(kind: string, serviceImage: string, cgi: Record<string, string>, opts: { link?: boolean } = {}): ServiceWorld {
  const compiled = TARGETS.find((t) => t.name === 'compiled')!;
  const nginxBin = requireNginx();
  const image = `dokku-test/it-${kind}:${Math.random().toString(36).slice(2, 8)}`;
  const w = {
    root: makeRoot(`dokku-${kind}-`),
    app: uniqueName(`it-${kind}`),
    service: uniqueName(`${kind}db`),
    image,
    also: [] as string[],
  } as ServiceWorld;
  w.dokku = (...words) => run(compiled, w.root, words, { env: w.nginx.env });
  w.ok = async (...words) => {
    const r = await w.dokku(...words);
    expectOk(r, words.join(' '));
    return r;
  };
  w.get = (path) => viaNginx(w.nginx.httpPort, `${w.app}.test`, path);

  beforeAll(async () => {
    requireDist();
    w.docker = await connectDocker();
    w.nginx = await startNginx(nginxBin);
    await w.ok(`${kind}:create`, w.service);
    const scripts = Object.fromEntries(Object.entries(cgi).map(([name, text]) => [`www/cgi-bin/${name}`, { text, mode: 0o755 }]));
    await commitOnImage(w.docker, serviceImage, image, { 'app/Procfile': { text: 'web: busybox httpd -f -p $PORT -h /www\n' }, 'www/index.html': { text: 'ok\n' }, ...scripts });
    await w.ok('apps:create', w.app);
    await w.ok('domains:add', w.app, `${w.app}.test`);
    await w.ok('checks:disable', w.app);
    await w.ok('git:from-image', w.app, image);
    if (opts.link !== false) await w.ok(`${kind}:link`, w.service, w.app);
  }, 900_000);

  afterAll(async () => {
    await w.dokku('apps:destroy', w.app, '--force');
    for (const s of [w.service, ...w.also]) await w.dokku(`${kind}:destroy`, s, '--force');
    await w.docker?.getImage(image).remove({ force: true }).catch(() => undefined);
    w.nginx?.stop();
    removeRoots();
  }, 180_000);
  return w;
}

/** A CGI script: the content type, then `body` (shell). */
export const cgiScript = (body: string): string => `#!/bin/sh\necho "Content-Type: text/plain"\necho\n${body}\n`;
