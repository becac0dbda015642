import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';

/**
 * Another machine for a test: a network namespace on a veth pair (10.231.N.2, its default route
 * through this host at 10.231.N.1), so a URL is fetched as a visitor's browser elsewhere would.
 */
export interface OtherHost {
  /** `curl -sS` of the URL from inside the namespace. */
  curl(url: string): { status: number | null; stdout: string; stderr: string };
  remove(): void;
}

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

export function makeOtherHost(tag: string): OtherHost {
  const subnet = randomInt(1, 255);
  const ns = `dokku-${tag}-${subnet}-${process.pid}`;
  const [vethHost, vethPeer] = [`v${tag.slice(0, 3)}h${subnet}x${process.pid % 1000}`, `v${tag.slice(0, 3)}p${subnet}x${process.pid % 1000}`];
  ip('netns', 'add', ns);
  ip('link', 'add', vethHost, 'type', 'veth', 'peer', 'name', vethPeer);
  ip('link', 'set', vethPeer, 'netns', ns);
  ip('addr', 'add', `10.231.${subnet}.1/30`, 'dev', vethHost);
  ip('link', 'set', vethHost, 'up');
  ip('netns', 'exec', ns, 'ip', 'addr', 'add', `10.231.${subnet}.2/30`, 'dev', vethPeer);
  ip('netns', 'exec', ns, 'ip', 'link', 'set', vethPeer, 'up');
  ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
  ip('netns', 'exec', ns, 'ip', 'route', 'add', 'default', 'via', `10.231.${subnet}.1`);
  return {
    curl: (url) => spawnSync('ip', ['netns', 'exec', ns, 'curl', '-sS', '--max-time', '5', url], { encoding: 'utf8' }),
    remove() {
      spawnSync('ip', ['link', 'del', vethHost]);
      spawnSync('ip', ['netns', 'del', ns]);
    },
  };
}
