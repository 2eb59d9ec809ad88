// The participant's side of the monitor: what they share travels in the session's config, and a
// session the host ended is not reconnected.
import { describe, expect, it, vi } from 'vitest';
import { AppController } from '../../src/rtc/controller';
import { INITIAL_STATE } from '../../src/store/appState';
import { createStore } from '../../src/store/store';
import { useControllerTestSetup, OFFER_ANSWER as ANSWER } from '../controllerTestSetup';
import { FakeMediaDevices, FakePeerConnection } from '../fakes';

useControllerTestSetup();

function setup() {
  const offers: unknown[] = [];
  const store = createStore(INITIAL_STATE);
  const controller = new AppController({
    store,
    serverUrl: 'http://localhost:3000',
    mediaDevices: new FakeMediaDevices().asMediaDevices(),
    isSecureContext: true,
    clientVersion: '0.1.0',
    createPeerConnection: () => new FakePeerConnection().asPeerConnection(),
    fetch: (_, init) => {
      if (init?.method === 'POST') offers.push(JSON.parse(init.body as string));
      return Promise.resolve(new Response(JSON.stringify(ANSWER), { status: 200 }));
    },
    backoff: { baseMs: 1000, maxMs: 8000, jitter: 0 },
  });
  return { store, controller, offers };
}

describe('the participant’s sharing', () => {
  it('goes in the offer and in a config message, and the host’s view is what the server says', async () => {
    const { controller, offers } = setup();
    controller.setSharing({ participantLabel: 'P07', shareThumbnail: false });
    await controller.startCamera();
    controller.connect();
    await vi.advanceTimersByTimeAsync(10);
    expect(offers[0]).toMatchObject({ options: { participant_label: 'P07' } });
    expect(offers[0]).not.toHaveProperty('options.share_thumbnail');
    expect(controller.sharedWithHost).toBeNull();

    const channel = FakePeerConnection.created[0]?.channels[0];
    controller.setSharing({ participantLabel: 'P07', shareThumbnail: true });
    expect(channel?.sentMessages().at(-1)).toMatchObject({
      type: 'config',
      participant_label: 'P07',
      share_thumbnail: true,
    });
    channel?.receive({ v: 1, type: 'config', participant_label: 'Desk 3', share_thumbnail: true });
    expect(controller.sharedWithHost).toEqual({ label: 'Desk 3', thumbnail: true });
    controller.shutdown();
  });
});

describe('a session the host ended', () => {
  it('fails with the host’s reason and is not reconnected', async () => {
    const { store, controller, offers } = setup();
    await controller.startCamera();
    controller.connect();
    await vi.advanceTimersByTimeAsync(10);
    const channel = FakePeerConnection.created[0]?.channels[0];
    channel?.receive({
      v: 1,
      type: 'error',
      code: 'session_ended_by_host',
      message: 'The host ended this session.',
      fatal: true,
    });
    channel?.closeByRemote();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(store.getState().connection).toMatchObject({
      phase: 'failed',
      endedByHost: true,
      problem: 'The host ended this session.',
    });
    expect(offers).toHaveLength(1);
    expect(controller.send({ v: 1, type: 'ping', id: 1, sent_unix_ns: 1 })).toBe(false);
  });

  it('is told apart from a session that dropped, which is reconnected', async () => {
    const { store, controller, offers } = setup();
    await controller.startCamera();
    controller.connect();
    await vi.advanceTimersByTimeAsync(10);
    FakePeerConnection.created[0]?.channels[0]?.closeByRemote();
    await vi.advanceTimersByTimeAsync(1500);
    expect(offers.length).toBeGreaterThan(1);
    expect(store.getState().connection.endedByHost).toBe(false);
    controller.shutdown();
  });
});
