import { useEffect, useId, useState, type SubmitEvent } from 'react';
import { useAppState, useController } from '../store/react';
import './participantSharing.css';

/** The schema's bound on a participant label (after trimming). */
export const PARTICIPANT_LABEL_MAX_CHARS = 60;
/** Control characters (C0, DEL, C1): the server refuses labels holding them. */
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** A label as the server takes it: trimmed, null when blank; an error text when refused. */
export function cleanLabel(draft: string): { label: string | null } | { problem: string } {
  const label = draft.trim();
  if (label === '') return { label: null };
  if (label.length > PARTICIPANT_LABEL_MAX_CHARS) {
    return { problem: `At most ${PARTICIPANT_LABEL_MAX_CHARS} characters.` };
  }
  if (CONTROL_CHARACTERS.test(label)) return { problem: 'Use letters, digits and punctuation.' };
  return { label };
}

/**
 * What the participant lets the host see: a name instead of the anonymous id (optional) and,
 * only when ticked, a small camera thumbnail. Says so while the server shares the thumbnail.
 */
export function ParticipantSharing() {
  const controller = useController();
  const live = useAppState(
    (state) => state.connection.phase === 'live' || state.connection.phase === 'connecting',
  );
  const [draft, setDraft] = useState(() => controller.sharing.participantLabel ?? '');
  const [shareThumbnail, setShareThumbnail] = useState(() => controller.sharing.shareThumbnail);
  const [problem, setProblem] = useState<string | null>(null);
  // The page may open after the session's config came (back from another page).
  const [shared, setShared] = useState(() => controller.sharedWithHost);
  const labelId = useId();
  const problemId = useId();

  useEffect(
    () =>
      controller.addSessionListener({
        onOpen: () => setShared(controller.sharedWithHost),
        onMessage: (message) => {
          if (message.type === 'config') setShared(controller.sharedWithHost);
        },
      }),
    [controller],
  );

  const saveLabel = (event: SubmitEvent<HTMLFormElement>): void => {
    event.preventDefault();
    const cleaned = cleanLabel(draft);
    if ('problem' in cleaned) {
      setProblem(cleaned.problem);
      return;
    }
    setProblem(null);
    setDraft(cleaned.label ?? '');
    controller.setSharing({ participantLabel: cleaned.label, shareThumbnail });
  };

  const chooseThumbnail = (share: boolean): void => {
    setShareThumbnail(share);
    controller.setSharing({ ...controller.sharing, shareThumbnail: share });
  };

  const thumbnailShared = live && shared?.thumbnail === true;
  const hostLabel = live ? (shared?.label ?? null) : null;
  return (
    <section className="panel-section sharing" aria-labelledby={`${labelId}-title`}>
      <h2 id={`${labelId}-title`} className="panel-title">
        Shared with the host
      </h2>
      <form className="sharing-label" onSubmit={saveLabel}>
        <label htmlFor={labelId}>Your name for the host (optional)</label>
        <div className="sharing-label-row">
          <input
            id={labelId}
            type="text"
            value={draft}
            maxLength={PARTICIPANT_LABEL_MAX_CHARS}
            autoComplete="off"
            aria-invalid={problem !== null}
            aria-describedby={problem === null ? undefined : problemId}
            data-testid="participant-label"
            onChange={(event) => setDraft(event.target.value)}
          />
          <button type="submit" className="button button-quiet">
            Save
          </button>
        </div>
        {problem !== null && (
          <p id={problemId} className="sharing-problem" role="alert">
            {problem}
          </p>
        )}
        {hostLabel !== null && (
          <p className="sharing-note" data-testid="participant-label-shown">
            The host sees you as “{hostLabel}”.
          </p>
        )}
      </form>
      <label className="field-inline sharing-thumbnail">
        <input
          type="checkbox"
          checked={shareThumbnail}
          data-testid="share-thumbnail"
          onChange={(event) => chooseThumbnail(event.target.checked)}
        />
        Share a small camera thumbnail with the host
      </label>
      {thumbnailShared && (
        <p className="sharing-active" role="status" data-testid="thumbnail-shared">
          The host can see a small picture from your camera, refreshed about once a second. Untick
          the box to stop it at once.
        </p>
      )}
    </section>
  );
}
