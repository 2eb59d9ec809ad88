import { describe, expect, it } from 'vitest';
import {
  CARD_WIDTH_MM,
  cardWidthPx,
  describeGeometry,
  mmPerCssPxFromCard,
  sameScreen,
  screenGeometry,
} from '../../src/calibration/screen';
import {
  DEFAULT_SETTINGS,
  loadSettings,
  saveSettings,
  SETTINGS_KEY,
} from '../../src/calibration/storage';
import { createValidator } from 'gazertc-client/protocol';

const validator = createValidator();

describe('screen geometry', () => {
  it('reports the viewport in CSS px with the pixel ratio, valid for the schema', () => {
    const screen = screenGeometry({ widthPx: 1280.4, heightPx: 719.6, devicePixelRatio: 2 }, null);
    expect(screen).toEqual({ width_px: 1280, height_px: 720, device_pixel_ratio: 2 });
    expect(validator.isValid('screen', screen)).toBe(true);
  });

  it('adds the physical size from the card check', () => {
    // A card drawn 320 px wide: 85.6 mm / 320 px.
    const scale = mmPerCssPxFromCard(320);
    expect(cardWidthPx(scale)).toBeCloseTo(320);
    const screen = screenGeometry({ widthPx: 1600, heightPx: 900, devicePixelRatio: 1 }, scale);
    expect(screen?.width_mm).toBeCloseTo((1600 * CARD_WIDTH_MM) / 320, 0);
    expect(screen?.height_mm).toBeCloseTo((900 * CARD_WIDTH_MM) / 320, 0);
    expect(validator.isValid('screen', screen)).toBe(true);
    expect(() => mmPerCssPxFromCard(0)).toThrow(RangeError);
  });

  it('has no geometry for an empty viewport', () => {
    expect(
      screenGeometry({ widthPx: 0, heightPx: 700, devicePixelRatio: 1 }, null),
    ).toBeUndefined();
  });

  it('compares screens as the server does', () => {
    const base = {
      width_px: 1536,
      height_px: 864,
      device_pixel_ratio: 1.25,
      width_mm: 344,
      height_mm: 194,
    };
    expect(sameScreen(base, { ...base })).toBe(true);
    expect(sameScreen(base, { ...base, width_mm: 344.9 })).toBe(true);
    expect(sameScreen(base, { ...base, width_mm: 346 })).toBe(false);
    expect(sameScreen(base, { ...base, width_px: 1535 })).toBe(false);
    expect(sameScreen(base, { ...base, device_pixel_ratio: 1.5 })).toBe(false);
    // One side without a physical size: the sizes in px decide.
    expect(sameScreen(base, { width_px: 1536, height_px: 864, device_pixel_ratio: 1.25 })).toBe(
      true,
    );
  });

  it('describes a geometry for people', () => {
    expect(
      describeGeometry({
        width_px: 1536,
        height_px: 864,
        device_pixel_ratio: 1.25,
        width_mm: 344,
        height_mm: 194,
      }),
    ).toBe('1536×864 CSS px at 1.25×, 34.4×19.4 cm');
  });
});

describe('calibration settings storage', () => {
  it('round-trips, and falls back per field on malformed values', () => {
    const items = new Map<string, string>();
    const storage = {
      getItem: (key: string) => items.get(key) ?? null,
      setItem: (key: string, value: string) => void items.set(key, value),
      removeItem: (key: string) => void items.delete(key),
    };
    expect(loadSettings(storage)).toEqual(DEFAULT_SETTINGS);
    const chosen = {
      ...DEFAULT_SETTINGS,
      targetCount: 5 as const,
      distances: 3 as const,
      mode: 'dwell' as const,
      mmPerCssPx: 0.25,
    };
    expect(saveSettings(storage, chosen)).toBe(true);
    expect(loadSettings(storage)).toEqual(chosen);
    items.set(
      SETTINGS_KEY,
      JSON.stringify({ targetCount: 7, distances: 2, mode: 'blink', targetMs: -1, dwellMs: 1500 }),
    );
    expect(loadSettings(storage)).toEqual({ ...DEFAULT_SETTINGS, dwellMs: 1500 });
  });

  it('survives a storage that refuses writes', () => {
    const refusing = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => undefined,
    };
    expect(loadSettings(refusing)).toEqual(DEFAULT_SETTINGS);
    expect(saveSettings(refusing, DEFAULT_SETTINGS)).toBe(false);
  });
});
