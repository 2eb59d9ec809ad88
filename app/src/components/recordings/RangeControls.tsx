import { useState } from 'react';
import { clockTime } from '../../recordings/format';
import { rangeBetweenEvents, type TimeRange } from '../../recordings/timeRange';
import type { ReplayEvent } from '../../recordings/types';

const START = 'start';
const END = 'end';

function eventIndex(value: string): number | null {
  return value === START || value === END ? null : Number(value);
}

/** The time range of the heatmap and scanpath: typed in seconds, or between two events. */
export function RangeControls(props: {
  events: readonly ReplayEvent[];
  durationS: number;
  range: TimeRange;
  onChange: (range: TimeRange) => void;
}) {
  const [fromEvent, setFromEvent] = useState(START);
  const [toEvent, setToEvent] = useState(END);
  const { events, durationS, range, onChange } = props;

  const chooseEvents = (from: string, to: string): void => {
    setFromEvent(from);
    setToEvent(to);
    onChange(rangeBetweenEvents(events, eventIndex(from), eventIndex(to), durationS));
  };
  const options = events.map((event, index) => (
    <option key={index} value={String(index)}>
      {event.name} ({clockTime(event.t_s)})
    </option>
  ));

  return (
    <fieldset className="card range-controls" data-testid="range-controls">
      <legend>Heatmap and scanpath: time range</legend>
      <div className="range-row">
        <label className="field-inline">
          From event
          <select value={fromEvent} onChange={(event) => chooseEvents(event.target.value, toEvent)}>
            <option value={START}>start of recording</option>
            {options}
          </select>
        </label>
        <label className="field-inline">
          to event
          <select value={toEvent} onChange={(event) => chooseEvents(fromEvent, event.target.value)}>
            {options}
            <option value={END}>end of recording</option>
          </select>
        </label>
      </div>
      <div className="range-row">
        <label className="field-inline">
          From (s)
          <input
            type="number"
            min={0}
            max={durationS}
            step={0.1}
            value={range.fromS}
            onChange={(event) => onChange({ ...range, fromS: Number(event.target.value) })}
          />
        </label>
        <label className="field-inline">
          to (s)
          <input
            type="number"
            min={0}
            max={durationS}
            step={0.1}
            value={range.toS}
            onChange={(event) => onChange({ ...range, toS: Number(event.target.value) })}
          />
        </label>
        <button
          type="button"
          className="button button-quiet"
          onClick={() => chooseEvents(START, END)}
        >
          Whole recording
        </button>
      </div>
    </fieldset>
  );
}
