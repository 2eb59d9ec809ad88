// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { MirrorToggle } from '../../src/components/MirrorToggle';
import { TrackingGate } from '../../src/components/TrackingGate';
import { INITIAL_STATE, connectRequested } from '../../src/store/appState';
import { renderWithApp } from './render';

afterEach(cleanup);

describe('TrackingGate', () => {
  it('shows the notice and the start screen until tracking starts, then the page', () => {
    const { store } = renderWithApp(
      <TrackingGate notice="This page needs your gaze.">
        <p data-testid="page">The page</p>
      </TrackingGate>,
    );
    expect(screen.getByText('This page needs your gaze.').className).toBe('notice');
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('See where you are looking');
    expect(screen.queryByTestId('page')).toBeNull();
    act(() => store.update((state) => connectRequested(state)));
    expect(screen.getByTestId('page').textContent).toBe('The page');
    expect(screen.queryByText('This page needs your gaze.')).toBeNull();
  });

  it('renders the page at once when tracking has already started', () => {
    renderWithApp(
      <TrackingGate notice="unused">
        <p data-testid="page">The page</p>
      </TrackingGate>,
      connectRequested(INITIAL_STATE),
    );
    expect(screen.getByTestId('page')).toBeTruthy();
    expect(screen.queryByText('unused')).toBeNull();
  });
});

describe('MirrorToggle', () => {
  it('is a labelled checkbox that shows and sets the mirror setting', () => {
    const { store, container } = renderWithApp(
      <MirrorToggle className="field-inline" label="Mirror" />,
    );
    const checkbox = screen.getByRole<HTMLInputElement>('checkbox', { name: 'Mirror' });
    expect(container.firstElementChild?.className).toBe('field-inline');
    const initial = store.getState().view.mirrored;
    expect(checkbox.checked).toBe(initial);
    fireEvent.click(checkbox);
    expect(store.getState().view.mirrored).toBe(!initial);
    expect(checkbox.checked).toBe(!initial);
  });
});
