import { describe, expect, it } from 'vitest';
import { diffReleases, renderDiff } from '../../../src/cli/release-diff.ts';
import type { ReleaseData } from '../../../src/state/events.ts';

const IMAGE_A = `sha256:${'a'.repeat(64)}`;
const IMAGE_B = `sha256:${'b'.repeat(64)}`;

function release(version: number, over: Partial<ReleaseData> = {}): ReleaseData {
  return {
    version,
    image: IMAGE_A,
    imageTag: `dokku/shop:build-${version}`,
    config: {},
    env: { A: '1', B: '2' },
    processTypes: { web: 'node server.js' },
    webPort: 5000,
    appJson: { healthchecks: {} },
    description: `v${version}`,
    ...over,
  };
}

describe('diffReleases', () => {
  it('lists config keys added, removed and changed, sorted, never their values', () => {
    const d = diffReleases(release(1, { env: { KEEP: 'x', OLD: 'secret-old', ZED: '1', MOD: 'a' } }), release(2, { env: { KEEP: 'x', NEW: 'secret-new', MOD: 'b', ALPHA: '1' } }));
    expect(d.config).toEqual({ added: ['ALPHA', 'NEW'], removed: ['OLD', 'ZED'], changed: ['MOD'] });
    expect(JSON.stringify(d)).not.toMatch(/secret/);
  });

  it("says when the app's nginx template came, went or changed", () => {
    const t = (nginxTemplate?: string) => release(1, nginxTemplate === undefined ? {} : { nginxTemplate });
    expect(diffReleases(t(), t()).nginxTemplate).toBeUndefined();
    expect(diffReleases(t('a'), t('a')).nginxTemplate).toBeUndefined();
    expect(diffReleases(t(), t('a')).nginxTemplate).toBe('+');
    expect(diffReleases(t('a'), t()).nginxTemplate).toBe('-');
    expect(diffReleases(t('a'), t('b')).nginxTemplate).toBe('~');
    expect(renderDiff(1, 2, diffReleases(t('a'), t('b')))).toEqual(['=====> v1 → v2', '       ~ nginx.conf.sigil']);
  });

  it('says the image changed only when it did', () => {
    expect(diffReleases(release(1), release(2)).image).toBeNull();
    expect(diffReleases(release(1), release(2, { image: IMAGE_B })).image).toEqual({ from: IMAGE_A, to: IMAGE_B });
  });

  it('lists process types added, removed and changed', () => {
    const d = diffReleases(
      release(1, { processTypes: { web: 'node a.js', worker: 'node w.js' } }),
      release(2, { processTypes: { web: 'node b.js', clock: 'node c.js' } }),
    );
    expect(d.processes).toEqual({ added: ['clock'], removed: ['worker'], changed: ['web'] });
  });
});

describe('renderDiff', () => {
  it('prints one marked line per difference, images shortened', () => {
    const a = release(3, { env: { OLD: '1', MOD: 'a' }, processTypes: { web: 'x', worker: 'w' } });
    const b = release(5, { env: { NEW: '1', MOD: 'b' }, image: IMAGE_B, processTypes: { web: 'y' } });
    expect(renderDiff(3, 5, diffReleases(a, b))).toEqual([
      '=====> v3 → v5',
      '       + config NEW',
      '       - config OLD',
      '       ~ config MOD',
      `       ~ image ${IMAGE_A.slice(0, 19)} → ${IMAGE_B.slice(0, 19)}`,
      '       - process worker',
      '       ~ process web',
    ]);
  });

  it('says so when two releases do not differ', () => {
    expect(renderDiff(1, 2, diffReleases(release(1), release(2)))).toEqual(['=====> v1 → v2', '       no differences']);
  });
});
