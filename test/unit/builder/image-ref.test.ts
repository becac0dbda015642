import { describe, expect, it } from 'vitest';
import { imageClaims, imageRepository } from '../../../src/builder/image-ref.ts';

describe('image ownership', () => {
  it.each([
    ['dokku/web:build-3', 'dokku/web'],
    ['docker.io/dokku/web:build-3', 'dokku/web'],
    ['index.docker.io/dokku/web', 'dokku/web'],
    ['dokku/web@sha256:' + 'a'.repeat(64), 'dokku/web'],
    ['library/nginx:1', 'nginx'],
    ['registry:5000/x/y:z', 'registry:5000/x/y'],
  ])('%s is in repository %s', (ref, repo) => {
    expect(imageRepository(ref)).toBe(repo);
  });

  it('claims come from the reference, every tag of the image and the app label', () => {
    expect(imageClaims('dokku/alice:build-1', undefined)).toEqual(['alice']);
    expect(imageClaims('nginx:1', undefined)).toEqual([]);
    expect(imageClaims('sha256:abc', { id: 'sha256:abc', repoTags: ['innocent:1', 'dokku/alice:build-2'], labels: {} })).toEqual(['alice']);
    expect(imageClaims('mine:1', { id: 'x', repoTags: ['mine:1'], labels: { 'com.dokku.app': 'alice' } })).toEqual(['alice']);
    expect(imageClaims('dokku/web:build-1', { id: 'x', repoTags: ['dokku/web:build-1', 'dokku/web-old:build-9'], labels: { 'com.dokku.app': 'web-old' } })).toEqual(['web', 'web-old']);
  });
});
