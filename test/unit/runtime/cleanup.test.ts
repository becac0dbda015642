import { describe, expect, it } from 'vitest';
import { LABEL } from '../../../src/lib/labels.ts';
import { removableContainers, removableImages } from '../../../src/runtime/cleanup.ts';

const c = (id: string, state: string, labels: Record<string, string>) => ({ id, state, labels });
const of = (app: string, release: number, extra: Record<string, string> = {}) => ({ [LABEL.app]: app, [LABEL.release]: String(release), ...extra });

describe('removableContainers', () => {
  const current = new Map<string, number | undefined>([['web', 3], ['api', 1]]);
  const all = [
    c('old', 'exited', of('web', 2)),
    c('stopped-current', 'exited', of('web', 3)),
    c('running-old', 'running', of('web', 2)),
    c('one-off', 'exited', of('web', 3, { [LABEL.oneOff]: 'true' })),
    c('dead-api', 'dead', of('api', 0)),
    c('foreign', 'exited', {}),
    c('foreign-labelled', 'exited', { 'com.example.app': 'web' }),
    c('gone-app', 'exited', of('destroyed', 1)),
  ];
  it("takes dokku's exited containers that are not the current release's, and one-offs, of apps it knows", () => {
    expect(removableContainers(all, current)).toEqual(['old', 'one-off', 'dead-api']);
  });
  it('with an app, only that app', () => {
    expect(removableContainers(all, current, 'web')).toEqual(['old', 'one-off']);
  });
});

describe('removableImages', () => {
  it('takes only images with the app label', () => {
    const images = [{ id: 'a', labels: { [LABEL.app]: 'web' } }, { id: 'b', labels: null }, { id: 'c', labels: { [LABEL.app]: 'api' } }, { id: 'd', labels: { [LABEL.app]: 'elsewhere' } }];
    const known = new Set(['web', 'api']);
    expect(removableImages(images, known)).toEqual(['a', 'c']);
    expect(removableImages(images, known, 'api')).toEqual(['c']);
  });
});
