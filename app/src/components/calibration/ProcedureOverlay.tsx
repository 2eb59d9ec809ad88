import { useEffect, useRef, type CSSProperties } from 'react';
import {
  SETTLE_MS,
  currentTarget,
  ROUND_INSTRUCTIONS,
  currentRound,
  pausedBeforeRound,
} from 'gazertc-client/calibration';
import { useCalibrationController, useCalibrationState } from '../../calibration/react';
import { useAppState } from '../../store/react';

const RING_RADIUS = 22;
const RING_LENGTH = 2 * Math.PI * RING_RADIUS;
/** Half the help box's width (at most 320 px) plus a little: closer to an edge, it aligns to it. */
const HELP_CLEARANCE_PX = 180;

/**
 * The full-window calibration or validation: one target at a time. Space or Enter confirms a
 * target in key mode, Escape stops. No mouse needed.
 */
export function ProcedureOverlay() {
  const controller = useCalibrationController();
  const overlay = useRef<HTMLDivElement>(null);

  useEffect(() => {
    // Like a dialog: take the focus, and give it back to what had it (the start button).
    const previous = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    overlay.current?.focus();
    const onKey = (event: KeyboardEvent): void => {
      if (event.key === ' ' || event.key === 'Enter') {
        event.preventDefault();
        controller.confirmTarget();
      } else if (event.key === 'Escape') {
        event.preventDefault();
        controller.cancel();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      if (previous?.isConnected === true) previous.focus();
    };
  }, [controller]);

  return (
    <div
      ref={overlay}
      className="procedure"
      data-testid="procedure"
      role="dialog"
      aria-modal="true"
      aria-label="Calibration"
      tabIndex={-1}
    >
      <ProcedureTarget />
    </div>
  );
}

function ProcedureTarget() {
  const procedure = useCalibrationState((state) => state.procedure);
  const faceFound = useAppState((state) => state.live.sample?.face_found ?? false);
  const screen = useCalibrationState((state) => state.procedureScreen);
  const distances = useCalibrationState((state) => state.procedureDistances);
  if (procedure.phase === 'finishing') {
    return (
      <p className="procedure-message" role="status">
        {procedure.kind === 'calibration' ? 'Fitting your calibration…' : 'Measuring accuracy…'}
      </p>
    );
  }
  const target = currentTarget(procedure);
  if (procedure.phase !== 'running' || target === null) return null;
  const { mode, targetMs } = procedure.settings;
  const ready = procedure.step === 'ready';
  // The help text sits next to the target, inside the window: below it unless near the bottom,
  // centred unless near a side.
  const widthPx = screen?.width_px ?? target.x_px * 2;
  const below = target.y_px < (screen?.height_px ?? 0) - HELP_CLEARANCE_PX;
  const align =
    target.x_px < HELP_CLEARANCE_PX
      ? '0%'
      : target.x_px > widthPx - HELP_CLEARANCE_PX
        ? '-100%'
        : '-50%';
  const helpLeftPx =
    align === '0%' ? target.x_px - 24 : align === '-100%' ? target.x_px + 24 : target.x_px;
  const round = currentRound(procedure, distances);
  // Before a later round: move first (the target waits, drawn as a ring, as in key mode).
  const move = pausedBeforeRound(procedure, distances)
    ? `${ROUND_INSTRUCTIONS[round?.round ?? 0] ?? ''}.`
    : null;
  const instruction = ready
    ? mode === 'dwell'
      ? 'The dots go on by themselves in a few seconds'
      : move === null
        ? 'Look at the dot, then press Space or Enter'
        : 'Then look at the dot and press Space or Enter'
    : mode === 'dwell'
      ? 'Keep your gaze still on the dot until the ring is full'
      : 'Keep looking at the dot';
  const progress = mode === 'dwell' ? Math.min(1, procedure.collectedMs / targetMs) : 0;
  return (
    <>
      <div
        key={`${procedure.kind}-${target.id}-${procedure.step}`}
        className={`procedure-target procedure-target-${procedure.step} procedure-${mode}`}
        data-testid="procedure-target"
        data-step={procedure.step}
        data-target-id={target.id}
        style={
          {
            left: `${target.x_px}px`,
            top: `${target.y_px}px`,
            '--collect-ms': `${SETTLE_MS + targetMs}ms`,
          } as CSSProperties
        }
      >
        <svg viewBox="-30 -30 60 60" aria-hidden="true">
          <circle className="procedure-ring-track" r={RING_RADIUS} />
          {!ready && (
            <circle
              className="procedure-ring"
              r={RING_RADIUS}
              strokeDasharray={RING_LENGTH}
              style={mode === 'dwell' ? { strokeDashoffset: RING_LENGTH * (1 - progress) } : {}}
            />
          )}
          <circle className="procedure-dot" r={ready ? 5 : 7} />
        </svg>
      </div>
      <div
        className="procedure-help"
        style={{
          left: `${helpLeftPx}px`,
          top: `${target.y_px + (below ? 44 : -44)}px`,
          transform: `translate(${align}, ${below ? '0%' : '-100%'})`,
        }}
      >
        <p className="procedure-count">
          {procedure.kind === 'calibration' ? 'Calibration' : 'Validation'}
          {round !== null && round.rounds > 1 && `, distance ${round.round + 1} of ${round.rounds}`}
          : target {(round?.index ?? procedure.index) + 1} of{' '}
          {round?.perRound ?? procedure.targets.length}
        </p>
        {move !== null && (
          <p className="procedure-move" data-testid="procedure-move">
            {move}
          </p>
        )}
        <p role="status">{instruction}</p>
        {!faceFound && <p className="procedure-warning">No face in view: face the camera.</p>}
        <p className="procedure-escape">Esc stops</p>
      </div>
    </>
  );
}
