// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { domTargetDisplay } from '../../src/calibration/targets';

describe('domTargetDisplay', () => {
  it('shows either the dot or a line of text, and removes its overlay', () => {
    document.body.replaceChildren();
    const display = domTargetDisplay(document);
    const dot = document.querySelector<HTMLElement>('.gazertc-calibration-target');
    const line = document.querySelector<HTMLElement>('.gazertc-calibration-instruction');
    display.show(120, 80);
    expect([dot?.style.display, dot?.style.left, line?.style.display]).toEqual([
      'block',
      '120px',
      'none',
    ]);
    display.say('Lean in');
    expect([dot?.style.display, line?.style.display, line?.textContent]).toEqual([
      'none',
      'block',
      'Lean in',
    ]);
    display.show(10, 20);
    expect([dot?.style.display, line?.style.display]).toEqual(['block', 'none']);
    display.remove();
    expect(document.querySelector('.gazertc-calibration')).toBeNull();
  });
});
