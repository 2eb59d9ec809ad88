// @vitest-environment jsdom
import { act, cleanup } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { VideoStage } from '../../src/components/VideoStage';
import { INITIAL_STATE, connectRequested } from '../../src/store/appState';
import { renderWithApp } from './render';

afterEach(cleanup);

describe('VideoStage', () => {
  it('wants the landmarks while it draws the overlay, not while it shows the server’s video', () => {
    const { controller, unmount } = renderWithApp(<VideoStage />, connectRequested(INITIAL_STATE));
    expect(INITIAL_STATE.view.mode).toBe('overlay');
    expect(controller.landmarksWanted).toBe(true);
    act(() => controller.setViewMode('server'));
    expect(controller.landmarksWanted).toBe(false);
    act(() => controller.setViewMode('overlay'));
    expect(controller.landmarksWanted).toBe(true);
    unmount();
    expect(controller.landmarksWanted).toBe(false);
  });
});
