/** The scheduler contract (test/helpers/scheduler-contract.ts) on docker-local, through nginx. */
import { afterAll, beforeAll, describe } from 'vitest';
import { TARGETS, makeRoot, removeRoots, requireDist, run } from '../../helpers/cli.ts';
import { expectOk } from '../../helpers/deploy.ts';
import { connectDocker, uniqueName } from '../../helpers/docker.ts';
import { requireNginx, startNginx, type TestNginx } from '../../helpers/nginx.ts';
import { contractAppSource, schedulerContract, type ContractHarness } from '../../helpers/scheduler-contract.ts';
import { viaNginx } from '../proxy/helpers.ts';

const nginxBin = requireNginx();

describe('scheduler contract: docker-local', () => {
  const root = makeRoot('dokku-contract-local-');
  const node = TARGETS.find((t) => t.name === 'node')!;
  const app = uniqueName('contract');
  let nginx: TestNginx;
  let sources: { good: string; broken: string };
  let h: ContractHarness;

  beforeAll(async () => {
    requireDist();
    const docker = (await connectDocker())!;
    nginx = await startNginx(nginxBin);
    sources = { good: await contractAppSource(docker), broken: await contractAppSource(docker, { brokenCheck: true }) };
    const dokku = (...words: string[]) => run(node, root, words, { env: nginx.env });
    h = { app, domain: `${app}.test`, dokku, get: async (path = '/') => {
      const r = await viaNginx(nginx.httpPort, `${app}.test`, path);
      return { status: r.status, body: r.body };
    } };
    for (const words of [['apps:create', app], ['domains:add', app, h.domain], ['checks:set', app, 'wait', '1'], ['checks:set', app, 'wait-to-retire', '0']]) expectOk(await dokku(...words), words.join(' '));
  }, 300_000);

  afterAll(async () => {
    await h?.dokku('apps:destroy', app, '--force');
    nginx?.stop();
    removeRoots();
  }, 120_000);

  schedulerContract(() => h, () => sources);
});
