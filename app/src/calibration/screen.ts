// The screen a calibration is made for: the page's viewport in CSS px (the coordinate space of
// the targets and of `screen_point`), the device pixel ratio, and the physical size when the
// user measured it with the card check. Pure functions; the browser values come in as arguments.

import type { Screen } from 'gazertc-client/protocol';

/** ISO/IEC 7810 ID-1 (a credit card): 85.60 mm x 53.98 mm. */
export const CARD_WIDTH_MM = 85.6;
export const CARD_HEIGHT_MM = 53.98;
/** Card widths the check offers, in CSS px: from a 4K phone-like density to a large low-DPI TV. */
export const CARD_MIN_WIDTH_PX = 120;
export const CARD_MAX_WIDTH_PX = 900;
/** The nominal CSS pixel (1/96 inch): where the card check starts. */
export const NOMINAL_MM_PER_CSS_PX = 25.4 / 96;
/** Two reports of one monitor's size may round differently (as the server allows). */
export const PHYSICAL_SIZE_TOLERANCE_MM = 1;

export interface ViewportReading {
  widthPx: number;
  heightPx: number;
  devicePixelRatio: number;
}

/**
 * The protocol's `screen` for this viewport; `mmPerCssPx` (from the card check) adds the
 * physical size. Undefined when the viewport has no size.
 */
export function screenGeometry(
  viewport: ViewportReading,
  mmPerCssPx: number | null,
): Screen | undefined {
  const width_px = Math.round(viewport.widthPx);
  const height_px = Math.round(viewport.heightPx);
  if (!(width_px >= 1 && height_px >= 1)) return undefined;
  const screen: Screen = { width_px, height_px };
  if (viewport.devicePixelRatio > 0 && viewport.devicePixelRatio <= 16) {
    screen.device_pixel_ratio = viewport.devicePixelRatio;
  }
  if (mmPerCssPx !== null && Number.isFinite(mmPerCssPx) && mmPerCssPx > 0) {
    screen.width_mm = round1(width_px * mmPerCssPx);
    screen.height_mm = round1(height_px * mmPerCssPx);
  }
  return screen;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Whether a calibration made for `a` holds on `b` (the server's rule: size, ratio, mm when both know them). */
export function sameScreen(a: Screen, b: Screen): boolean {
  if (a.width_px !== b.width_px || a.height_px !== b.height_px) return false;
  const ratioA = a.device_pixel_ratio ?? 1;
  const ratioB = b.device_pixel_ratio ?? 1;
  if (Math.abs(ratioA - ratioB) > 1e-6 * Math.max(ratioA, ratioB)) return false;
  if (
    a.width_mm === undefined ||
    b.width_mm === undefined ||
    a.height_mm === undefined ||
    b.height_mm === undefined
  ) {
    return true;
  }
  return (
    Math.abs(a.width_mm - b.width_mm) <= PHYSICAL_SIZE_TOLERANCE_MM &&
    Math.abs(a.height_mm - b.height_mm) <= PHYSICAL_SIZE_TOLERANCE_MM
  );
}

/** "1280×720 CSS px at 2×, 29.5×16.6 cm" */
export function describeGeometry(screen: Screen): string {
  const ratio = screen.device_pixel_ratio === undefined ? '' : ` at ${screen.device_pixel_ratio}×`;
  const size =
    screen.width_mm === undefined || screen.height_mm === undefined
      ? ''
      : `, ${(screen.width_mm / 10).toFixed(1)}×${(screen.height_mm / 10).toFixed(1)} cm`;
  return `${screen.width_px}×${screen.height_px} CSS px${ratio}${size}`;
}

/** Millimetres per CSS pixel from the card check: the card drawn `cardWidthPx` wide matched the real one. */
export function mmPerCssPxFromCard(cardWidthPx: number): number {
  if (!(Number.isFinite(cardWidthPx) && cardWidthPx > 0)) {
    throw new RangeError(`the card width must be positive, got ${cardWidthPx}`);
  }
  return CARD_WIDTH_MM / cardWidthPx;
}

/** The card's width in CSS px at a given scale (the inverse of `mmPerCssPxFromCard`). */
export function cardWidthPx(mmPerCssPx: number): number {
  return CARD_WIDTH_MM / mmPerCssPx;
}
