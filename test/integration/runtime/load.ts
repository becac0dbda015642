import { request } from 'node:http';
import type { Upstream } from '../../../src/lib/types.ts';

/** One GET with a fresh connection; resolves with the body or rejects. */
export function get(host: string, port: number, path = '/', timeoutMs = 2000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

export interface LoadResult {
  ok: number;
  failed: number;
  errors: string[];
  bodies: Set<string>;
}

/**
 * A client that behaves like nginx during a deploy: it spreads requests over the current upstream
 * list and picks up a new list the moment the scheduler switches traffic.
 */
export function requestLoop(initial: Upstream[], concurrency = 4) {
  let upstreams = initial;
  let running = true;
  let next = 0;
  const result: LoadResult = { ok: 0, failed: 0, errors: [], bodies: new Set() };
  const worker = async () => {
    while (running) {
      const list = upstreams;
      if (list.length === 0) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      const u = list[next++ % list.length]!;
      try {
        const res = await get(u.host, u.port);
        if (res.status === 200) {
          result.ok++;
          result.bodies.add(res.body.trim());
        } else {
          result.failed++;
          result.errors.push(`${u.port}: HTTP ${res.status}`);
        }
      } catch (err) {
        result.failed++;
        result.errors.push(`${u.port}: ${(err as Error).message}`);
      }
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    switchTo(list: Upstream[]) {
      upstreams = list;
    },
    async stop(): Promise<LoadResult> {
      running = false;
      await Promise.all(workers);
      return result;
    },
  };
}
