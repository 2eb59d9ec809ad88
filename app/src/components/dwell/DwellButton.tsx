import type { ReactNode } from 'react';
import type { DwellLoop, DwellTargetOptions } from '../../dwell/loop';
import { useDwellTarget } from './useDwellLoop';

export interface DwellButtonProps extends Partial<DwellTargetOptions> {
  loop: DwellLoop;
  /** The dwell target's id (unique on the page). */
  targetId: string;
  onClick: () => void;
  className?: string;
  testId?: string;
  colour?: string;
  pressed?: boolean;
  keyShortcuts?: string;
  /** The visible text, which is also the button's name; nothing else goes inside. */
  children: ReactNode;
}

/** A large button chosen by a look (it fills while looked at), a click or the keyboard. */
export function DwellButton({
  loop,
  targetId,
  onClick,
  className,
  testId,
  colour,
  pressed,
  keyShortcuts,
  kind = 'normal',
  whilePaused = false,
  priority = 0,
  children,
}: DwellButtonProps) {
  const ref = useDwellTarget(loop, targetId, { kind, whilePaused, priority });
  return (
    <button
      type="button"
      className={className === undefined ? 'dwell-button' : `dwell-button ${className}`}
      data-testid={testId}
      data-target-id={targetId}
      data-colour={colour}
      data-dwell="none"
      data-triggered="false"
      aria-pressed={pressed}
      aria-keyshortcuts={keyShortcuts}
      ref={ref}
      onClick={onClick}
    >
      <span className="dwell-fill" aria-hidden="true" />
      <span className="dwell-label">{children}</span>
    </button>
  );
}
