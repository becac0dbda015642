import { describe, expect, it } from 'vitest';
import { manifestTags, normalTag } from '../../../src/app/load-image.ts';

describe('docker save manifest', () => {
  it('reads the RepoTags of every image', () => {
    expect(manifestTags(JSON.stringify([{ RepoTags: ['busybox:latest'] }, { RepoTags: null }, { RepoTags: ['dokku/web:build-1', 7] }]))).toEqual(['busybox:latest', 'dokku/web:build-1']);
    expect(() => manifestTags('{nope')).toThrow(/no readable manifest.json/);
    expect(() => manifestTags('{}')).toThrow(/no readable manifest.json/);
  });
  it('compares tags as docker does', () => {
    expect(normalTag('busybox')).toBe('busybox:latest');
    expect(normalTag('docker.io/library/busybox:1')).toBe('busybox:1');
    expect(normalTag('localhost:5000/x')).toBe('localhost:5000/x:latest');
  });
});
