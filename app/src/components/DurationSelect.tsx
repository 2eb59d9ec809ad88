export interface DurationSelectProps {
  /** The visible label, which also names the select. */
  label: string;
  /** The chosen duration in milliseconds; one of `choices`. */
  valueMs: number;
  choicesMs: readonly number[];
  onChange: (ms: number) => void;
  /** Label and select side by side (a toolbar) rather than stacked. */
  inline?: boolean;
}

/** A labelled select of durations, shown in seconds with one decimal (1500 ms: "1.5 s"). */
export function DurationSelect({
  label,
  valueMs,
  choicesMs,
  onChange,
  inline,
}: DurationSelectProps) {
  return (
    <label className={inline === true ? 'field field-inline' : 'field'}>
      <span>{label}</span>
      <select value={valueMs} onChange={(event) => onChange(Number(event.target.value))}>
        {choicesMs.map((ms) => (
          <option key={ms} value={ms}>
            {(ms / 1000).toFixed(1)} s
          </option>
        ))}
      </select>
    </label>
  );
}
