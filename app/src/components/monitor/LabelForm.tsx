import { useId, useState, type SubmitEvent } from 'react';
import { useMonitorController } from '../../monitor/react';
import { cleanLabel, PARTICIPANT_LABEL_MAX_CHARS } from '../ParticipantSharing';

export interface LabelFormProps {
  anonId: string;
  /** The session's label now (the participant's or the host's), null when none. */
  label: string | null;
  disabled: boolean;
}

/** Name a session's participant, shown instead of its anonymous id (blank clears it). */
export function LabelForm({ anonId, label, disabled }: LabelFormProps) {
  const controller = useMonitorController();
  const inputId = useId();
  const problemId = useId();
  // null while the host is not typing: the field follows the session's label (the participant
  // may rename themselves).
  const [draft, setDraft] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const shown = draft ?? label ?? '';

  const onSubmit = (event: SubmitEvent<HTMLFormElement>): void => {
    event.preventDefault();
    const cleaned = cleanLabel(shown);
    if ('problem' in cleaned) {
      setProblem(cleaned.problem);
      return;
    }
    setProblem(null);
    void controller.setLabel(anonId, cleaned.label).then((saved) => {
      if (saved) setDraft(null);
    });
  };

  return (
    <form className="monitor-event" onSubmit={onSubmit}>
      <label htmlFor={inputId}>Participant name</label>
      <input
        id={inputId}
        type="text"
        value={shown}
        maxLength={PARTICIPANT_LABEL_MAX_CHARS}
        autoComplete="off"
        placeholder="e.g. P07"
        aria-invalid={problem !== null}
        aria-describedby={problem === null ? undefined : problemId}
        data-testid="monitor-label-input"
        onChange={(event) => setDraft(event.target.value)}
      />
      <button type="submit" className="button" disabled={disabled}>
        Set name
      </button>
      {problem !== null && (
        <p id={problemId} className="monitor-feedback monitor-feedback-error" role="alert">
          {problem}
        </p>
      )}
    </form>
  );
}
