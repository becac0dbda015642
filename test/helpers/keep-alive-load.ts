import { Agent, request } from 'node:http';

/** The one load generator of the zero-downtime tests and the swarm benchmark. */

class RequestFailed extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

export interface LoadResult {
  ok: number;
  retried: number;
  failures: string[];
  bodies: Map<string, number>;
}

/**
 * GETs through nginx (the app's Host header) on `connections` keep-alive connections, about 50 a
 * second each, until stopped. Anything but a 200 is a failure, and so is a socket error; a reused
 * connection reset before any byte of the response (an old nginx worker closing its idle keep-alive
 * connections at a reload) is sent once more on a new connection of its own, as browsers do, and a
 * failure of that counts.
 */
export function keepAliveLoad(port: number, host: string, connections = 4): { stop(): Promise<LoadResult> } {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const started = Date.now();
  let running = true;
  const result: LoadResult = { ok: 0, retried: 0, failures: [], bodies: new Map() };
  // `fresh`: on a new connection of its own, so a resend cannot land on another closing one.
  const once = (fresh = false) =>
    new Promise<string>((resolve, reject) => {
      let answered = false;
      const req = request({ host: '127.0.0.1', port, path: '/', headers: { Host: host }, agent: fresh ? false : agent, timeout: 10_000 }, (res) => {
        answered = true;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('error', (err) => reject(new RequestFailed(`${(err as NodeJS.ErrnoException).code ?? err.message} mid-response`, false)));
        res.on('end', () => (res.statusCode === 200 ? resolve(body.trim()) : reject(new RequestFailed(`HTTP ${res.statusCode}`, false))));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err) => {
        const code = (err as NodeJS.ErrnoException).code;
        const retryable = code === 'ECONNRESET' && !answered && req.reusedSocket;
        reject(new RequestFailed(`${code ?? err.message}${fresh ? ' on the resend' : answered ? ' after the response began' : req.reusedSocket ? '' : ' on a new connection'}`, retryable && !fresh));
      });
      req.end();
    });
  const worker = async () => {
    while (running) {
      try {
        let body: string;
        try {
          body = await once();
        } catch (err) {
          if (!(err instanceof RequestFailed) || !err.retryable) throw err;
          // A keep-alive connection an old nginx worker closed at a reload: sent again, once.
          result.retried++;
          body = await once(true);
        }
        result.ok++;
        result.bodies.set(body, (result.bodies.get(body) ?? 0) + 1);
      } catch (err) {
        result.failures.push(`+${((Date.now() - started) / 1000).toFixed(2)} s: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const workers = Array.from({ length: connections }, worker);
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      agent.destroy();
      return result;
    },
  };
}
