// Number formatting for the status panel: fixed precision, a real minus sign, units.

const MINUS = '\u2212';

export function signed(value: number, digits = 0): string {
  const rounded = Number(value.toFixed(digits));
  const text = Math.abs(rounded).toFixed(digits);
  if (rounded > 0) return `+${text}`;
  if (rounded < 0) return `${MINUS}${text}`;
  return text;
}

export function degrees(value: number | null | undefined): string {
  return value === null || value === undefined ? '\u2013' : `${signed(value)}\u00b0`;
}

export function milliseconds(value: number | null | undefined): string {
  if (value === null || value === undefined) return '\u2013';
  return `${value < 10 ? value.toFixed(1) : Math.round(value).toString()} ms`;
}

export function perSecond(value: number | null | undefined): string {
  return value === null || value === undefined ? '\u2013' : `${value.toFixed(1)}/s`;
}

/** Rounded for display, so a component re-renders only when what it shows changes. */
export function roundTo(value: number | null | undefined, step: number): number | null {
  return value === null || value === undefined ? null : Math.round(value / step) * step;
}

/** Head yaw in the subject's own terms: positive yaw is towards the image's right, their left. */
export function describeTurn(yawDeg: number, pitchDeg: number): string {
  const parts: string[] = [];
  if (Math.abs(yawDeg) >= 8)
    parts.push(yawDeg > 0 ? 'turned to your left' : 'turned to your right');
  if (Math.abs(pitchDeg) >= 8) parts.push(pitchDeg > 0 ? 'tilted up' : 'tilted down');
  return parts.length === 0 ? 'Facing the camera' : capitalise(parts.join(', '));
}

/** Gaze in the subject's own terms (same sign convention as head pose). */
export function describeGaze(yawDeg: number, pitchDeg: number): string {
  const parts: string[] = [];
  if (Math.abs(pitchDeg) >= 8) parts.push(pitchDeg > 0 ? 'up' : 'down');
  if (Math.abs(yawDeg) >= 8) parts.push(yawDeg > 0 ? 'to your left' : 'to your right');
  return parts.length === 0 ? 'Looking straight ahead' : `Looking ${parts.join(' and ')}`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
