// The targets of a procedure drawn over the whole page with plain DOM (styles set through the
// CSSOM, which a strict Content-Security-Policy allows, unlike style attributes in markup).

/** The dot's diameter: big enough to find at a glance, small enough to fixate its centre. */
export const TARGET_DIAMETER_PX = 20;
/** Above anything a page stacks (the largest 32-bit z-index). */
const TOP_Z_INDEX = '2147483647';

export interface TargetDisplay {
  /** Show the target centred on (x, y), viewport CSS px. */
  show(xPx: number, yPx: number): void;
  /** Show a line of text in the middle instead of the target, until the next `show`. */
  say(text: string): void;
  /** Remove the overlay. Idempotent. */
  remove(): void;
}

/** A full-page overlay with one dot, appended to `document.body`. */
export function domTargetDisplay(document: Document): TargetDisplay {
  const overlay = document.createElement('div');
  overlay.className = 'gazertc-calibration';
  Object.assign(overlay.style, {
    position: 'fixed',
    inset: '0',
    zIndex: TOP_Z_INDEX,
    background: '#808080',
    cursor: 'none',
  });
  const dot = document.createElement('div');
  dot.className = 'gazertc-calibration-target';
  Object.assign(dot.style, {
    position: 'absolute',
    width: `${TARGET_DIAMETER_PX}px`,
    height: `${TARGET_DIAMETER_PX}px`,
    marginLeft: `${-TARGET_DIAMETER_PX / 2}px`,
    marginTop: `${-TARGET_DIAMETER_PX / 2}px`,
    borderRadius: '50%',
    background: '#000',
    boxShadow: '0 0 0 4px #fff',
    display: 'none',
  });
  const line = document.createElement('p');
  line.className = 'gazertc-calibration-instruction';
  line.setAttribute('role', 'status');
  Object.assign(line.style, {
    position: 'absolute',
    top: '50%',
    left: '0',
    right: '0',
    margin: '0',
    transform: 'translateY(-50%)',
    textAlign: 'center',
    font: '600 24px system-ui, sans-serif',
    color: '#fff',
    display: 'none',
  });
  overlay.append(dot, line);
  document.body.append(overlay);
  return {
    show(xPx, yPx) {
      line.style.display = 'none';
      dot.style.left = `${xPx}px`;
      dot.style.top = `${yPx}px`;
      dot.style.display = 'block';
    },
    say(text) {
      dot.style.display = 'none';
      line.textContent = text;
      line.style.display = 'block';
    },
    remove() {
      overlay.remove();
    },
  };
}
