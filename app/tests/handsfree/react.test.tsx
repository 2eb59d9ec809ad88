// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/components/App';
import { HANDS_FREE_KEY, loadHandsFree, saveHandsFree } from '../../src/handsfree/preference';
import { connectRequested, INITIAL_STATE } from '../../src/store/appState';
import { renderWithApp } from '../components/render';

afterEach(() => {
  cleanup();
  window.localStorage.clear();
});

/** Let the start on page load (permission check, camera) run its course. */
async function settle(): Promise<void> {
  await act(async () => {
    for (let i = 0; i < 5; i += 1) await Promise.resolve();
  });
}

describe('hands-free start on the page', () => {
  it('offers the opt-in on the start screen and remembers it with the camera', async () => {
    const { store } = renderWithApp(<App />);
    await settle();
    const box = screen.getByLabelText<HTMLInputElement>('Start tracking when this page opens');
    expect(box.checked).toBe(false);
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Turn on camera' }));
      await Promise.resolve();
    });
    act(() => {
      fireEvent.click(screen.getByLabelText('Start tracking when this page opens'));
    });
    expect(store.getState().handsFree.autoStart).toBe(true);
    expect(loadHandsFree(window.localStorage)).toEqual({ autoStart: true, deviceId: 'front' });
    // Not started by itself on this page: the page says nothing of an automatic start.
    expect(screen.queryByTestId('auto-start-notice')).toBeNull();
  });

  it('a page opened after opting in starts by itself and says how to turn that off', async () => {
    saveHandsFree(window.localStorage, { autoStart: true, deviceId: 'usb' });
    const { store, mediaDevices } = renderWithApp(<App />);
    await settle();
    expect(store.getState().camera.granted?.deviceId).toBe('usb');
    expect(store.getState().connection.phase).not.toBe('idle');
    expect(mediaDevices.requests).toHaveLength(1);
    const notice = screen.getByTestId('auto-start-notice');
    expect(notice.textContent).toMatch(/Tracking started by itself/);
    act(() => {
      fireEvent.click(screen.getByRole('button', { name: 'Turn off automatic start' }));
    });
    expect(window.localStorage.getItem(HANDS_FREE_KEY)).toBeNull();
    expect(screen.getByTestId('auto-start-notice').textContent).toMatch(/Automatic start is off/);
  });

  it('without the opt-in the page waits for a click', async () => {
    const { store, mediaDevices } = renderWithApp(<App />);
    await settle();
    expect(mediaDevices.requests).toHaveLength(0);
    expect(store.getState().handsFree.outcome).toBe('skipped');
    expect(screen.getByRole('button', { name: 'Turn on camera' })).toBeTruthy();
  });

  it('tracking started by a click shows no auto-start notice', async () => {
    renderWithApp(<App />, connectRequested(INITIAL_STATE));
    await settle();
    expect(screen.queryByTestId('auto-start-notice')).toBeNull();
  });
});
