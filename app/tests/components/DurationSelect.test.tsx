// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DurationSelect } from '../../src/components/DurationSelect';

afterEach(cleanup);

describe('DurationSelect', () => {
  it('is named by its label, lists the choices in seconds and shows the value', () => {
    render(
      <DurationSelect
        label="Dwell time"
        valueMs={1500}
        choicesMs={[600, 1000, 1500, 3000]}
        onChange={() => undefined}
      />,
    );
    const select = screen.getByRole<HTMLSelectElement>('combobox', { name: 'Dwell time' });
    expect(Array.from(select.options, (option) => option.text)).toEqual([
      '0.6 s',
      '1.0 s',
      '1.5 s',
      '3.0 s',
    ]);
    expect(Array.from(select.options, (option) => option.value)).toEqual([
      '600',
      '1000',
      '1500',
      '3000',
    ]);
    expect(select.value).toBe('1500');
  });

  it('reports the chosen duration in milliseconds, as a number', () => {
    const onChange = vi.fn<(ms: number) => void>();
    render(
      <DurationSelect
        label="Time per target"
        valueMs={600}
        choicesMs={[600, 1200]}
        onChange={onChange}
      />,
    );
    fireEvent.change(screen.getByLabelText('Time per target'), { target: { value: '1200' } });
    expect(onChange).toHaveBeenCalledExactlyOnceWith(1200);
  });

  it('stacks label and select unless inline', () => {
    const { container, rerender } = render(
      <DurationSelect
        label="Dwell time"
        valueMs={600}
        choicesMs={[600]}
        onChange={() => undefined}
      />,
    );
    expect(container.querySelector('label')?.className).toBe('field');
    rerender(
      <DurationSelect
        label="Dwell time"
        valueMs={600}
        choicesMs={[600]}
        onChange={() => undefined}
        inline
      />,
    );
    expect(container.querySelector('label')?.className).toBe('field field-inline');
  });
});
