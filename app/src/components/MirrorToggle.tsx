import { useId } from 'react';
import { useAppState, useController } from '../store/react';

/** The mirror setting: a checkbox and its label, in a row with class `className`. */
export function MirrorToggle({ className, label }: { className: string; label: string }) {
  const controller = useController();
  const mirrored = useAppState((state) => state.view.mirrored);
  const id = useId();
  return (
    <div className={className}>
      <input
        id={id}
        type="checkbox"
        checked={mirrored}
        onChange={(event) => controller.setMirrored(event.target.checked)}
      />
      <label htmlFor={id}>{label}</label>
    </div>
  );
}
