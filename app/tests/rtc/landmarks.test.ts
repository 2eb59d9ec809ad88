// The app asks for the 68 landmarks only while a view draws them.
import { describe, expect, it, vi } from 'vitest';
import { AppController } from '../../src/rtc/controller';
import { INITIAL_STATE } from '../../src/store/appState';
import { createStore } from '../../src/store/store';
import { useControllerTestSetup, OFFER_ANSWER as ANSWER } from '../controllerTestSetup';
import { FakeMediaDevices, FakePeerConnection } from '../fakes';

useControllerTestSetup();

interface Offer {
  options: Record<string, unknown>;
}

function setup() {
  const offers: Offer[] = [];
  const controller = new AppController({
    store: createStore(INITIAL_STATE),
    serverUrl: 'http://localhost:3000',
    mediaDevices: new FakeMediaDevices().asMediaDevices(),
    isSecureContext: true,
    clientVersion: '0.1.0',
    createPeerConnection: () => new FakePeerConnection().asPeerConnection(),
    fetch: (_, init) => {
      if (init?.method === 'POST') offers.push(JSON.parse(init.body as string) as Offer);
      return Promise.resolve(new Response(JSON.stringify(ANSWER), { status: 200 }));
    },
    backoff: { baseMs: 1000, maxMs: 8000, jitter: 0 },
  });
  return { controller, offers };
}

function landmarkConfigs(): unknown[] {
  const channel = FakePeerConnection.created.at(-1)?.channels[0];
  return (channel?.sentMessages() ?? [])
    .filter((message) => message.type === 'config' && 'landmarks' in message)
    .map((message) => message['landmarks']);
}

describe('landmarks', () => {
  it('are refused in the offer while no view draws them', async () => {
    const { controller, offers } = setup();
    await controller.startCamera();
    controller.connect();
    await vi.advanceTimersByTimeAsync(10);
    expect(offers[0]?.options['landmarks']).toBe(false);
    expect(controller.landmarksWanted).toBe(false);
    expect(landmarkConfigs()).toEqual([]);
    controller.shutdown();
  });

  it('are asked for in the offer when a view already draws them', async () => {
    const { controller, offers } = setup();
    const release = controller.drawLandmarks();
    await controller.startCamera();
    controller.connect();
    await vi.advanceTimersByTimeAsync(10);
    expect(offers[0]?.options['landmarks']).toBe(true);
    release();
    expect(landmarkConfigs()).toEqual([false]);
    controller.shutdown();
  });

  it('follow the views on an open session: asked for by the first, dropped after the last', async () => {
    const { controller } = setup();
    await controller.startCamera();
    controller.connect();
    await vi.advanceTimersByTimeAsync(10);
    const releaseFirst = controller.drawLandmarks();
    const releaseSecond = controller.drawLandmarks();
    expect(landmarkConfigs()).toEqual([true]);
    releaseFirst();
    releaseFirst(); // twice: still counted once
    expect(controller.landmarksWanted).toBe(true);
    expect(landmarkConfigs()).toEqual([true]);
    releaseSecond();
    expect(controller.landmarksWanted).toBe(false);
    expect(landmarkConfigs()).toEqual([true, false]);
    controller.shutdown();
  });

  it('drawn while the connection opens are asked for once it is open', async () => {
    const { controller, offers } = setup();
    await controller.startCamera();
    controller.connect();
    const release = controller.drawLandmarks(); // before the offer was answered
    await vi.advanceTimersByTimeAsync(10);
    // The server follows the offer, then each config: the latest says yes.
    expect([offers[0]?.options['landmarks'], ...landmarkConfigs()].at(-1)).toBe(true);
    release();
    controller.shutdown();
  });
});
