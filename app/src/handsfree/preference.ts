// "Start tracking when this page opens": the choice and the camera it was made with, kept in
// localStorage. Whatever comes back out is checked: storage is user-editable and may hold data of
// an older app.

export const HANDS_FREE_KEY = 'gazertc.hands-free.v1';

/** Longer stored text is not ours (a device id is a 64-character hash in Chromium). */
const MAX_STORED_CHARS = 2048;

/** Device ids are opaque strings; browsers give 64 hex characters or fewer. */
export const MAX_DEVICE_ID_CHARS = 512;

export interface HandsFreePreference {
  autoStart: boolean;
  /** The camera to start (`MediaDeviceInfo.deviceId`); null: the browser's default. */
  deviceId: string | null;
}

export const DEFAULT_HANDS_FREE: HandsFreePreference = { autoStart: false, deviceId: null };

/** The part of `Storage` used here (so tests can pass a Map-backed one). */
export type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

/** The stored record, versioned so a later app can tell its own data from this one's. */
interface StoredHandsFree {
  v: 1;
  auto_start: boolean;
  device_id: string | null;
}

export function preferenceToDict(preference: HandsFreePreference): StoredHandsFree {
  return { v: 1, auto_start: preference.autoStart, device_id: preference.deviceId };
}

/** The preference in `value`, or null when it is not a valid stored record. */
export function preferenceFromDict(value: unknown): HandsFreePreference | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  const deviceId = record.device_id;
  if (record.v !== 1 || typeof record.auto_start !== 'boolean') return null;
  if (deviceId !== null && (typeof deviceId !== 'string' || !isDeviceId(deviceId))) return null;
  return { autoStart: record.auto_start, deviceId };
}

export function isDeviceId(value: string): boolean {
  return value.length > 0 && value.length <= MAX_DEVICE_ID_CHARS;
}

/** The saved preference; the default (off) when nothing valid is saved or storage is disabled. */
export function loadHandsFree(storage: KeyValueStorage): HandsFreePreference {
  try {
    const text = storage.getItem(HANDS_FREE_KEY);
    if (text === null || text.length > MAX_STORED_CHARS) return DEFAULT_HANDS_FREE;
    return preferenceFromDict(JSON.parse(text) as unknown) ?? DEFAULT_HANDS_FREE;
  } catch {
    // Storage disabled, or not JSON: as if nothing was saved.
    return DEFAULT_HANDS_FREE;
  }
}

/** Save `preference` (turning it off forgets the camera too); false when the browser refuses. */
export function saveHandsFree(storage: KeyValueStorage, preference: HandsFreePreference): boolean {
  try {
    if (!preference.autoStart) {
      storage.removeItem(HANDS_FREE_KEY);
      return true;
    }
    const deviceId =
      preference.deviceId !== null && isDeviceId(preference.deviceId) ? preference.deviceId : null;
    storage.setItem(HANDS_FREE_KEY, JSON.stringify(preferenceToDict({ ...preference, deviceId })));
    return true;
  } catch {
    return false;
  }
}
