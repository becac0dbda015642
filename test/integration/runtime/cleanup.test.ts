import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABEL } from '../../../src/lib/labels.ts';
import { bindCli, makeRoot, removeRoots, requireDist, TARGETS } from '../../helpers/cli.ts';
import { ensureTestImage } from '../../helpers/test-image.ts';
import { docker, uniqueApp } from './docker.ts';

const app = uniqueApp('cleanup');
const other = uniqueApp('cleanup-other');

/**
 * `cleanup` on the compiled binary against the real daemon: dokku's exited containers go, a
 * container without dokku's label stays, and a named app's cleanup leaves another app's alone.
 */
describe('cleanup', () => {
  const d = docker!;
  const made: string[] = [];
  const exited = async (name: string, labels: Record<string, string>): Promise<string> => {
    const image = await ensureTestImage(d);
    const c = await d.createContainer({ name, Image: image, Cmd: ['true'], Labels: labels });
    made.push(c.id);
    await c.start();
    await c.wait();
    return c.id;
  };
  const exists = async (id: string) => d.getContainer(id).inspect().then(() => true, () => false);

  beforeAll(requireDist);
  afterAll(async () => {
    for (const id of made) await d.getContainer(id).remove({ force: true }).catch(() => undefined);
    removeRoots();
  });

  it("removes only dokku's exited containers, and with an app only that app's", async () => {
    const dokku = bindCli(TARGETS[0]!, makeRoot());
    dokku.ok('apps:create', app);
    dokku.ok('apps:create', other);
    const foreign = await exited(`${app}-foreign`, {});
    const mine = await exited(`${app}.web.1.old`, { [LABEL.app]: app, [LABEL.release]: '1' });
    const theirs = await exited(`${other}.web.1.old`, { [LABEL.app]: other, [LABEL.release]: '1' });

    expect(dokku.ok('cleanup', app)).toBe(`-----> Removed 1 exited container and 0 dangling images of ${app}\n`);
    expect([await exists(mine), await exists(theirs), await exists(foreign)]).toEqual([false, true, true]);

    const all = dokku.ok('cleanup');
    expect(all).toMatch(/^-----> Removed \d+ exited containers? and \d+ dangling images?\n$/);
    expect([await exists(theirs), await exists(foreign)]).toEqual([false, true]);
  });
});
