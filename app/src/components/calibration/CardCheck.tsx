import { useId, useState } from 'react';
import {
  CARD_HEIGHT_MM,
  CARD_MAX_WIDTH_PX,
  CARD_MIN_WIDTH_PX,
  CARD_WIDTH_MM,
  NOMINAL_MM_PER_CSS_PX,
  cardWidthPx,
  mmPerCssPxFromCard,
} from '../../calibration/screen';

export interface CardCheckProps {
  mmPerCssPx: number | null;
  onMeasured: (mmPerCssPx: number) => void;
  onClose: () => void;
}

/**
 * The optional size check: a bank-card-sized rectangle the user resizes until it matches a real
 * card held against the screen. A range input, so arrow keys (1 px) and Page Up/Down work.
 */
export function CardCheck({ mmPerCssPx, onMeasured, onClose }: CardCheckProps) {
  const [widthPx, setWidthPx] = useState(() =>
    Math.round(cardWidthPx(mmPerCssPx ?? NOMINAL_MM_PER_CSS_PX)),
  );
  const id = useId();
  const heightPx = (widthPx * CARD_HEIGHT_MM) / CARD_WIDTH_MM;
  return (
    <section className="card-check" aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>Measure the screen with a card</h3>
      <p className="hint">
        Hold a bank card ({CARD_WIDTH_MM} × {CARD_HEIGHT_MM} mm) flat against the screen and resize
        the rectangle until it matches the card&rsquo;s edges.
      </p>
      <div className="card-check-stage">
        <div
          className="card-outline"
          data-testid="card-outline"
          style={{ width: `${widthPx}px`, height: `${heightPx}px` }}
        />
      </div>
      <label className="field" htmlFor={`${id}-width`}>
        <span>
          Card width: <output htmlFor={`${id}-width`}>{widthPx} px</output>
        </span>
        <input
          id={`${id}-width`}
          type="range"
          min={CARD_MIN_WIDTH_PX}
          max={CARD_MAX_WIDTH_PX}
          step={1}
          value={widthPx}
          onChange={(event) => setWidthPx(Number(event.target.value))}
        />
      </label>
      <div className="button-row">
        <button
          type="button"
          className="button button-primary"
          onClick={() => onMeasured(mmPerCssPxFromCard(widthPx))}
        >
          Use this size
        </button>
        <button type="button" className="button button-quiet" onClick={onClose}>
          Skip
        </button>
      </div>
    </section>
  );
}
