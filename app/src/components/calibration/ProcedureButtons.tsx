import type { ReactNode } from 'react';
import type { ProcedureKind } from 'gazertc-client/calibration';
import { useAppState } from '../../store/react';
import { useStartProcedure } from './useStartProcedure';

export interface ProcedureButtonSpec {
  /** What the button starts. */
  kind: ProcedureKind;
  label: string;
  /** The row's main action. */
  primary?: boolean;
  large?: boolean;
}

/**
 * A row of buttons that start a calibration or a validation (full screen first when the settings
 * ask for it); they are disabled until the connection is live. `children`: more buttons after
 * them in the row.
 */
export function ProcedureButtons({
  buttons,
  children,
}: {
  buttons: readonly ProcedureButtonSpec[];
  children?: ReactNode;
}) {
  const live = useAppState((state) => state.connection.phase === 'live');
  const start = useStartProcedure();
  return (
    <div className="button-row">
      {buttons.map(({ kind, label, primary, large }) => (
        <button
          key={kind}
          type="button"
          className={`button${primary === true ? ' button-primary' : ''}${large === true ? ' button-large' : ''}`}
          disabled={!live}
          onClick={() => start(kind)}
        >
          {label}
        </button>
      ))}
      {children}
    </div>
  );
}
