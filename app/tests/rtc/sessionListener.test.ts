// AppController's session listener and send(): what the calibration feature builds on.
import { describe, expect, it, vi } from 'vitest';
import type { ServerMessage } from 'gazertc-client/protocol';
import { AppController } from '../../src/rtc/controller';
import { INITIAL_STATE } from '../../src/store/appState';
import { createStore } from '../../src/store/store';
import { useControllerTestSetup, OFFER_ANSWER as ANSWER } from '../controllerTestSetup';
import { FakeMediaDevices, FakePeerConnection } from '../fakes';
import { fixture } from '../fixtures';

useControllerTestSetup();

describe('session listeners', () => {
  it('hear the opening, the messages and the clock; send() reaches the open channel', async () => {
    const controller = new AppController({
      store: createStore(INITIAL_STATE),
      serverUrl: 'http://localhost:3000',
      mediaDevices: new FakeMediaDevices().asMediaDevices(),
      isSecureContext: true,
      clientVersion: '0.1.0',
      createPeerConnection: () => new FakePeerConnection().asPeerConnection(),
      fetch: () => Promise.resolve(new Response(JSON.stringify(ANSWER), { status: 200 })),
    });
    const heard = { opened: 0, messages: [] as ServerMessage['type'][], clocks: 0 };
    const unsubscribe = controller.addSessionListener({
      onOpen: () => (heard.opened += 1),
      onMessage: (message) => heard.messages.push(message.type),
      onClock: () => (heard.clocks += 1),
    });
    expect(controller.send({ v: 1, type: 'calibration_end' })).toBe(false);
    await controller.startCamera();
    controller.connect();
    await vi.advanceTimersByTimeAsync(10);
    expect(heard.opened).toBe(1);
    const channel = FakePeerConnection.created[0]?.channels[0];
    expect(controller.send({ v: 1, type: 'calibration_end' })).toBe(true);
    expect(channel?.sentMessages().map((message) => message.type)).toContain('calibration_end');

    channel?.receive(fixture('calibration_result.nine_points.json'));
    const ping = channel?.sentMessages().find((message) => message.type === 'ping');
    channel?.receive({
      v: 1,
      type: 'pong',
      id: ping?.['id'],
      ping_sent_unix_ns: ping?.['sent_unix_ns'],
      received_unix_ns: 1_767_225_600_000_000_000,
      sent_unix_ns: 1_767_225_600_000_100_000,
    });
    expect(heard.messages).toEqual(['calibration_result']);
    expect(heard.clocks).toBe(1);

    unsubscribe();
    channel?.receive(fixture('calibration_result.nine_points.json'));
    expect(heard.messages).toHaveLength(1);
    controller.shutdown();
  });
});
