// @vitest-environment jsdom
import { act, cleanup, fireEvent, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/components/App';
import { renderWithApp } from './render';

afterEach(cleanup);

describe('start screen', () => {
  it('explains what happens, then turns the camera on and shows what was granted', async () => {
    const { store } = renderWithApp(<App />);
    expect(screen.getByRole('heading', { level: 1 }).textContent).toBe('See where you are looking');
    // What happens to the video, truthfully now that a host can record.
    const privacy = screen.getByTestId('privacy').textContent;
    expect(privacy).toContain('It goes only to the gazertc server at localhost:3000');
    expect(privacy).toContain('is not stored');
    expect(privacy).toContain(
      'Nothing is recorded unless you or the host of this server starts a recording, and the ' +
        'host of this server may start one.',
    );
    expect(privacy).toContain('this page always shows it and who started it');
    expect(privacy).not.toMatch(/nothing is recorded[.;]/i);
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Turn on camera' }));
      await Promise.resolve();
    });
    expect(store.getState().camera.status).toBe('on');
    expect(screen.getByTestId('granted-video').textContent).toBe(
      'Sending 640×480 at 30 fps (asked for 1280×720 at 30 fps)',
    );
    const select = screen.getByLabelText('Camera to use');
    expect(Array.from((select as HTMLSelectElement).options, (option) => option.text)).toEqual([
      'Front camera',
      'USB camera',
    ]);
    expect(screen.getByRole('button', { name: 'Start tracking' })).toBeTruthy();
  });

  it('says clearly when the camera is blocked, and offers to try again', async () => {
    const { mediaDevices } = renderWithApp(<App />);
    mediaDevices.refusal = new DOMException('Permission denied', 'NotAllowedError');
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Turn on camera' }));
      await Promise.resolve();
    });
    expect(screen.getByRole('alert').textContent).toMatch(/Camera access was blocked/);
    expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy();
  });

  it('releases the camera when the page goes away', async () => {
    const { store, mediaDevices } = renderWithApp(<App />);
    await act(async () => {
      fireEvent.click(screen.getByRole('button', { name: 'Turn on camera' }));
      await Promise.resolve();
    });
    act(() => {
      window.dispatchEvent(new Event('pagehide'));
    });
    expect(mediaDevices.streams[0]?.tracks[0]?.readyState).toBe('ended');
    expect(store.getState().camera.status).toBe('off');
    expect(mediaDevices.listeners).toBe(0);
  });
});
