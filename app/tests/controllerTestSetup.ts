// What the AppController tests share: the server's offer answer, and fake timers and peers.
import { afterEach, beforeEach, vi } from 'vitest';
import { FakePeerConnection } from './fakes';

export const OFFER_ANSWER = {
  sdp: 'v=0\r\n',
  type: 'answer',
  session_id: '3f2a9c0e5b7d41e8a6c4d2b0f9e8a7c6',
  session_secret: 'kS2vQ9x_Tn4bW7yLr0pZe3HcA8uFj5mDg1oXi6qBt-E',
  node: 'node1',
};

/** Fake timers and a fresh list of fake peers around each test of the calling file. */
export function useControllerTestSetup(): void {
  beforeEach(() => {
    vi.useFakeTimers();
    FakePeerConnection.created = [];
    vi.spyOn(console, 'warn').mockImplementation(() => undefined); // no ICE servers
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });
}
