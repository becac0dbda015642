/**
 * Routing benchmark, one run, two numbers:
 *   1. rebuilding and reloading nginx for 100 apps: a global nginx setting changes every vhost, so
 *      `dokku nginx:set --global` renders 100 vhosts, runs `nginx -t`, reloads, and waits until
 *      nginx serves every new vhost (median of 5), plus a cold `proxy:build-config --all`;
 *   2. proxy overhead: median latency of a keep-alive GET through nginx divided by the same GET
 *      sent straight to the app's upstream (a local HTTP server), 3,000 sequential requests each.
 * Needs nginx and the built binary (`npm run build`); run with `npx bun bench/proxy.ts`.
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../src/state/db.ts';
import { appStream, type DomainEvent } from '../src/state/events.ts';
import { migrate } from '../src/state/migrate.ts';
import { EventStore } from '../src/state/store.ts';
import { childEnv, DIST_BIN, requireDist } from '../test/helpers/cli.ts';
import { nginxBinary, startNginx } from '../test/helpers/nginx.ts';

const APPS = 100;
const LATENCY_REQUESTS = 3000;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function get(agent: Agent, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', headers: { Host: host }, agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

async function medianLatencyMs(port: number, host: string): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 200; i++) await get(agent, port, host);
  const times: number[] = [];
  for (let i = 0; i < LATENCY_REQUESTS; i++) {
    const t = process.hrtime.bigint();
    await get(agent, port, host);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  agent.destroy();
  return median(times);
}

async function main(): Promise<void> {
  requireDist();
  const bin = nginxBinary();
  if (!bin) throw new Error('nginx is not installed (apt-get install nginx)');
  const nginx = await startNginx(bin);
  const root = mkdtempSync(join(tmpdir(), 'dokku-bench-proxy-'));
  const backend = createServer((_req, res) => res.end('ok\n'));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const backendPort = (backend.address() as { port: number }).port;
  try {
    // 100 apps, each deployed (a release, its upstream recorded) with its own domain.
    const db = await openDatabase(join(root, 'dokku.db'));
    migrate(db);
    const store = new EventStore(db);
    for (let i = 0; i < APPS; i++) {
      const name = `bench-${i}`;
      const events: DomainEvent[] = [
        { type: 'AppCreated', data: { name } },
        { type: 'DomainAdded', data: { domain: `${name}.bench.test` } },
        {
          type: 'ReleaseCreated',
          data: { version: 1, image: 'sha256:bench', imageTag: `dokku/${name}:build-1`, config: {}, env: {}, processTypes: { web: '' }, webPort: 5000, appJson: { healthchecks: {} }, description: 'bench' },
        },
        { type: 'TrafficSwitched', data: { version: 1, upstreams: [{ processType: 'web', containerName: `${name}.web.1`, host: '127.0.0.1', port: backendPort }] } },
        { type: 'DeploySucceeded', data: { version: 1, containers: [`${name}.web.1`] } },
      ];
      store.append(appStream(randomUUID()), 0, events, 'bench');
    }
    db.close();

    const dokku = (...words: string[]) => {
      const t = performance.now();
      const r = spawnSync(DIST_BIN, words, { env: childEnv(root, nginx.env), encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`dokku ${words.join(' ')} exited ${r.status}: ${r.stderr}`);
      return performance.now() - t;
    };
    const cold = dokku('proxy:build-config', '--all');
    const rebuilds: number[] = [];
    for (let i = 1; i <= 5; i++) rebuilds.push(dokku('nginx:set', '--global', 'proxy-read-timeout', `${60 + i}s`));

    const direct = await medianLatencyMs(backendPort, 'bench-0.bench.test');
    const proxied = await medianLatencyMs(nginx.httpPort, 'bench-0.bench.test');

    console.log(`nginx routing benchmark (${APPS} apps, ${spawnSync(bin, ['-v'], { encoding: 'utf8' }).stderr.trim().replace(/^nginx version: /, '')})`);
    console.log(`  cold proxy:build-config --all (write ${APPS} vhosts, nginx -t, reload, wait until served): ${cold.toFixed(0)} ms`);
    console.log(`  rebuild + reload for ${APPS} apps (nginx:set --global, median of 5):              ${median(rebuilds).toFixed(0)} ms  [${rebuilds.map((x) => x.toFixed(0)).join(', ')}]`);
    console.log(`  median GET latency, direct to the upstream:  ${(direct * 1000).toFixed(0)} µs  (${LATENCY_REQUESTS} keep-alive requests)`);
    console.log(`  median GET latency, through nginx:           ${(proxied * 1000).toFixed(0)} µs`);
    console.log(`  proxy overhead (through nginx / direct):     ${(proxied / direct).toFixed(2)}x  (+${((proxied - direct) * 1000).toFixed(0)} µs)`);
  } finally {
    backend.close();
    nginx.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
