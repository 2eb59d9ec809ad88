import { describe, expect, it } from 'vitest';
import {
  createValidator,
  type CalibrationResultMessage,
  type ProtocolValidator,
} from 'gazertc-client/protocol';
import {
  SAVED_CALIBRATION_KEY,
  loadSavedCalibration,
  saveCalibration,
  savedFromResult,
} from '../../src/calibration/storage';
import { fixture } from '../fixtures';
import { MemoryStorage } from './fakes';

const validator: ProtocolValidator = createValidator();
const FIT: CalibrationResultMessage = {
  ...(fixture('calibration_result.nine_points.json') as CalibrationResultMessage),
  source: 'fit',
  applied: true,
  quality: 'fair',
  quality_reason: 'Leave-one-target-out error 2.6 deg: fair.',
  loto_error_px: 90,
  loto_error_deg: 2.6,
};

describe('what is kept of a calibration result', () => {
  it('keeps an applied fit with its verdict', () => {
    expect(savedFromResult(FIT, 1234)).toEqual({
      model: FIT.model,
      screen: FIT.model.screen,
      savedAtMs: 1234,
      meanOffsetDeg: FIT.mean_offset_deg,
      quality: 'fair',
    });
    const accepted = { ...FIT, source: 'accept', quality: 'poor' } as const;
    expect(savedFromResult(accepted, 1)?.quality).toBe('poor');
  });

  it('keeps nothing of a fit that is not applied, nor of a load (already saved)', () => {
    expect(savedFromResult({ ...FIT, applied: false, quality: 'poor' }, 1)).toBeNull();
    expect(savedFromResult({ ...FIT, source: 'load', quality: null }, 1)).toBeNull();
  });

  it('reads the verdict back, and null for a save of an older app or a bad value', () => {
    const storage = new MemoryStorage();
    const saved = savedFromResult(FIT, 99);
    if (saved === null) throw new Error('an applied fit must be kept');
    expect(saveCalibration(storage, saved)).toBe(true);
    expect(loadSavedCalibration(storage, validator)).toEqual(saved);
    // An older app's save has no quality field.
    storage.setItem(SAVED_CALIBRATION_KEY, JSON.stringify({ ...saved, quality: undefined }));
    expect(loadSavedCalibration(storage, validator)?.quality).toBeNull();
    storage.setItem(SAVED_CALIBRATION_KEY, JSON.stringify({ ...saved, quality: 'great' }));
    expect(loadSavedCalibration(storage, validator)?.quality).toBeNull();
  });
});
