import { describe, expect, it } from 'vitest';
import { isMonitorPath, tokenFromHash } from '../../src/monitor/token';

describe('monitor token and path', () => {
  it('reads the token from the fragment', () => {
    expect(tokenFromHash('#token=abc-DEF_123')).toBe('abc-DEF_123');
    expect(tokenFromHash('token=abc')).toBe('abc');
    expect(tokenFromHash('#view=x&token=abc')).toBe('abc');
  });

  it('has no token when the fragment has none', () => {
    expect(tokenFromHash('')).toBeNull();
    expect(tokenFromHash('#')).toBeNull();
    expect(tokenFromHash('#token=')).toBeNull();
    expect(tokenFromHash('#/calibrate')).toBeNull();
  });

  it('knows the monitor page by its path', () => {
    expect(isMonitorPath('/monitor')).toBe(true);
    expect(isMonitorPath('/monitor/')).toBe(true);
    expect(isMonitorPath('/')).toBe(false);
    expect(isMonitorPath('/monitoring')).toBe(false);
  });
});
