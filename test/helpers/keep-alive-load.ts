import { Agent, request, type ClientRequest } from 'node:http';

/**
 * Sequential GETs on 4 keep-alive connections at ~100 req/s each. A GET whose connection was reset
 * before any response is sent again; anything else that is not a 200 is a failure.
 */
export function keepAliveLoad(port: number, host: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  let running = true;
  const result = { ok: 0, retried: 0, failures: [] as string[], bodies: new Set<string>() };
  const once = () =>
    new Promise<string>((resolve, reject) => {
      const req: ClientRequest = request({ host: '127.0.0.1', port, path: '/', headers: { Host: host }, agent, timeout: 10_000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => (res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`HTTP ${res.statusCode}`))));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err: Error & { code?: string }) => reject(Object.assign(err, { reused: req.reusedSocket })));
      req.end();
    });
  const worker = async () => {
    while (running) {
      try {
        let body: string | undefined;
        // Reset before any response byte (nginx never read it): sent again, like a browser retries a GET.
        // Each retry may draw another pooled connection the same old worker closed: at most one per socket.
        for (let attempt = 1; body === undefined; attempt++) {
          try {
            body = await once();
          } catch (err) {
            if ((err as { code?: string }).code !== 'ECONNRESET' || attempt > 4) throw err;
            result.retried++;
          }
        }
        result.ok++;
        result.bodies.add(body);
      } catch (err) {
        result.failures.push((err as Error).message);
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const workers = Array.from({ length: 4 }, worker);
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      agent.destroy();
      return result;
    },
  };
}
