import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HANDS_FREE,
  HANDS_FREE_KEY,
  MAX_DEVICE_ID_CHARS,
  loadHandsFree,
  preferenceFromDict,
  saveHandsFree,
} from '../../src/handsfree/preference';
import { MemoryStorage } from '../calibration/fakes';

describe('hands-free preference in storage', () => {
  it('round-trips the choice and the camera', () => {
    const storage = new MemoryStorage();
    expect(saveHandsFree(storage, { autoStart: true, deviceId: 'usb' })).toBe(true);
    expect(JSON.parse(storage.getItem(HANDS_FREE_KEY) ?? '')).toEqual({
      v: 1,
      auto_start: true,
      device_id: 'usb',
    });
    expect(loadHandsFree(storage)).toEqual({ autoStart: true, deviceId: 'usb' });
  });

  it('turning it off forgets it', () => {
    const storage = new MemoryStorage();
    saveHandsFree(storage, { autoStart: true, deviceId: 'usb' });
    saveHandsFree(storage, { autoStart: false, deviceId: 'usb' });
    expect(storage.items.has(HANDS_FREE_KEY)).toBe(false);
    expect(loadHandsFree(storage)).toEqual(DEFAULT_HANDS_FREE);
  });

  it.each([
    ['not JSON', '{v:1'],
    ['another version', '{"v":2,"auto_start":true,"device_id":null}'],
    ['no flag', '{"v":1,"device_id":null}'],
    ['a string flag', '{"v":1,"auto_start":"yes","device_id":null}'],
    ['a numeric device', '{"v":1,"auto_start":true,"device_id":7}'],
    ['an empty device', '{"v":1,"auto_start":true,"device_id":""}'],
    ['an array', '[1,true,null]'],
    ['null', 'null'],
    [
      'a huge device id',
      JSON.stringify({ v: 1, auto_start: true, device_id: 'x'.repeat(MAX_DEVICE_ID_CHARS + 1) }),
    ],
    [
      'huge text',
      JSON.stringify({ v: 1, auto_start: true, device_id: null, pad: 'x'.repeat(5000) }),
    ],
  ])('treats %s as nothing saved', (_name, text) => {
    const storage = new MemoryStorage();
    storage.setItem(HANDS_FREE_KEY, text);
    expect(loadHandsFree(storage)).toEqual(DEFAULT_HANDS_FREE);
  });

  it('accepts the longest allowed device id and a null one', () => {
    const longest = 'd'.repeat(MAX_DEVICE_ID_CHARS);
    expect(preferenceFromDict({ v: 1, auto_start: true, device_id: longest })).toEqual({
      autoStart: true,
      deviceId: longest,
    });
    expect(preferenceFromDict({ v: 1, auto_start: false, device_id: null })).toEqual({
      autoStart: false,
      deviceId: null,
    });
  });

  it('saves no over-long device id: the default camera instead', () => {
    const storage = new MemoryStorage();
    saveHandsFree(storage, { autoStart: true, deviceId: 'x'.repeat(MAX_DEVICE_ID_CHARS + 1) });
    expect(loadHandsFree(storage)).toEqual({ autoStart: true, deviceId: null });
  });

  it('survives a browser that refuses storage', () => {
    const refusing = {
      getItem: (): string | null => {
        throw new DOMException('denied', 'SecurityError');
      },
      setItem: (): void => {
        throw new DOMException('full', 'QuotaExceededError');
      },
      removeItem: (): void => {
        throw new DOMException('denied', 'SecurityError');
      },
    };
    expect(loadHandsFree(refusing)).toEqual(DEFAULT_HANDS_FREE);
    expect(saveHandsFree(refusing, { autoStart: true, deviceId: null })).toBe(false);
  });
});
