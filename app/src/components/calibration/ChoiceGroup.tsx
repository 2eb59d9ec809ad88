import type { ReactNode } from 'react';

export interface Choice<T> {
  value: T;
  label: ReactNode;
}

/** One setting as a group of radio buttons; `children` follow the options (e.g. a hint). */
export function ChoiceGroup<T extends string | number>({
  legend,
  name,
  choices,
  selected,
  onSelect,
  describedBy,
  children,
}: {
  legend: string;
  name: string;
  choices: ReadonlyArray<Choice<T>>;
  selected: T;
  onSelect: (value: T) => void;
  describedBy?: string;
  children?: ReactNode;
}) {
  return (
    <fieldset className="choice" aria-describedby={describedBy}>
      <legend>{legend}</legend>
      {choices.map(({ value, label }) => (
        <label key={value} className="choice-option">
          <input
            type="radio"
            name={name}
            value={value}
            checked={selected === value}
            onChange={() => onSelect(value)}
          />
          {label}
        </label>
      ))}
      {children}
    </fieldset>
  );
}
