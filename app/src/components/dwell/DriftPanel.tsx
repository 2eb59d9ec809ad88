import { describeDrift, describeLastConfirmation } from '../../board/drift';
import type { DriftState } from './useDrift';

/**
 * The server's drift correction, fed by every choice made by a look: how far it moves the gaze
 * now, what it did with the last choice, and a way back to the plain calibration.
 */
export function DriftPanel({
  drift,
  calibrated,
  onReset,
}: {
  drift: DriftState;
  calibrated: boolean;
  onReset: () => void;
}) {
  const { status, problem } = drift;
  return (
    <section className="board-drift" aria-labelledby="board-drift-title" data-testid="board-drift">
      <h2 id="board-drift-title">Drift correction</h2>
      <p data-testid="board-drift-status" data-last={status?.last ?? 'none'}>
        {status === null
          ? calibrated
            ? 'None yet: each choice made by a look keeps the gaze on target.'
            : 'Starts once the screen is calibrated.'
          : `${describeDrift(status)} ${describeLastConfirmation(status)}`}
      </p>
      {problem !== null && (
        <p className="board-hint" data-testid="board-drift-problem">
          {problem}
        </p>
      )}
      <button
        type="button"
        className="button button-quiet"
        disabled={!calibrated}
        onClick={onReset}
      >
        Reset drift correction
      </button>
    </section>
  );
}
