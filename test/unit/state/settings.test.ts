import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/lib/errors.ts';
import { appStream, GLOBAL_STREAM, type DomainEvent } from '../../../src/state/events.ts';
import { setting } from '../../../src/state/release-queries.ts';
import { decideSetting, SETTINGS, settingKey } from '../../../src/state/settings-schema.ts';
import type { EventStore } from '../../../src/state/store.ts';
import { memoryStore } from '../../helpers/memory-store.ts';

let store: EventStore;
beforeEach(async () => {
  store = await memoryStore();
  store.append(appStream('a1'), 0, [{ type: 'AppCreated', data: { name: 'web' } }], 't');
});
afterEach(() => store.db.close());

const set = (namespace: string, key: string, value: string | null): DomainEvent => ({ type: 'SettingSet', data: { namespace, key, value } });
const append = (stream: string, e: DomainEvent) => store.append(stream, store.version(stream), [e], 't');

describe('setting', () => {
  it('is the app value, else the global value, else the schema default', () => {
    expect(setting(store.db, 'a1', 'nginx', 'proxy-read-timeout')).toBe(SETTINGS.nginx['proxy-read-timeout'].default);
    expect(setting(store.db, 'a1', 'nginx', 'proxy-read-timeout')).toBe('60s');
    append(GLOBAL_STREAM, set('nginx', 'proxy-read-timeout', '90s'));
    expect(setting(store.db, 'a1', 'nginx', 'proxy-read-timeout')).toBe('90s');
    expect(setting(store.db, '', 'nginx', 'proxy-read-timeout')).toBe('90s');
    append(appStream('a1'), set('nginx', 'proxy-read-timeout', '120s'));
    expect(setting(store.db, 'a1', 'nginx', 'proxy-read-timeout')).toBe('120s');
    expect(setting(store.db, '', 'nginx', 'proxy-read-timeout')).toBe('90s');
    expect(setting(store.db, 'other', 'nginx', 'proxy-read-timeout')).toBe('90s');
    append(appStream('a1'), set('nginx', 'proxy-read-timeout', null));
    expect(setting(store.db, 'a1', 'nginx', 'proxy-read-timeout')).toBe('90s');
  });

  it('reads only the key it names', () => {
    append(appStream('a1'), set('checks', 'wait', '9'));
    expect(setting(store.db, 'a1', 'checks', 'timeout')).toBe('5');
    expect(setting(store.db, 'a1', 'checks', 'wait')).toBe('9');
    expect(setting(store.db, 'a1', 'releases', 'keep-count')).toBe('10');
  });
});

describe('settingKey', () => {
  it('passes a key the schema has and refuses others, prototype names included', () => {
    expect(settingKey('releases', 'keep-count')).toBe('keep-count');
    expect(() => settingKey('releases', 'keepcount')).toThrow(new UserError("Unknown releases property 'keepcount': use one of keep-count"));
    expect(() => settingKey('releases', 'constructor')).toThrow(UserError);
    expect(() => decideSetting('checks', 'toString', '1', undefined, false)).toThrow("Unknown checks property 'toString'");
  });
});
