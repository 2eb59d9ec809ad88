import { useId, useState, type SubmitEvent } from 'react';
import { useMonitorController } from '../../monitor/react';

/** Name an event and add it to one session (Enter or the button). */
export function EventForm({ anonId, disabled }: { anonId: string; disabled: boolean }) {
  const controller = useMonitorController();
  const inputId = useId();
  const [name, setName] = useState('');

  const onSubmit = (event: SubmitEvent<HTMLFormElement>): void => {
    event.preventDefault();
    const trimmed = name.trim();
    if (trimmed === '') return;
    void controller.addEvent(anonId, trimmed).then((added) => {
      if (added) setName('');
    });
  };

  return (
    <form className="monitor-event" onSubmit={onSubmit}>
      <label htmlFor={inputId}>Event name</label>
      <input
        id={inputId}
        type="text"
        value={name}
        maxLength={200}
        required
        placeholder="stimulus_onset"
        onChange={(event) => setName(event.target.value)}
      />
      <button type="submit" className="button" disabled={disabled || name.trim() === ''}>
        Add event
      </button>
    </form>
  );
}
