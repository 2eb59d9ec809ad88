// Fakes for the calibration controller's surroundings, implementing the real interfaces.

import type { SessionLink } from '../../src/calibration/controller';
import type { KeyValueStorage } from '../../src/calibration/storage';
import {
  createValidator,
  type ClientMessage,
  type ServerMessage,
  type ProtocolValidator,
} from 'gazertc-client/protocol';
import type { SessionListener } from '../../src/rtc/controller';

const validator: ProtocolValidator = createValidator();

/** The session side of AppController: records what is sent, delivers what the server says. */
export class FakeSession implements SessionLink {
  readonly sent: ClientMessage[] = [];
  open = true;
  private readonly listeners = new Set<SessionListener>();
  addSessionListener(listener: SessionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  send(message: ClientMessage): boolean {
    if (!this.open) return false;
    // Every message must satisfy the schema, as the real peer checks.
    validator.assertValid(message.type, message);
    this.sent.push(message);
    return true;
  }
  receive(message: ServerMessage): void {
    for (const listener of this.listeners) listener.onMessage?.(message);
  }
  opened(): void {
    for (const listener of this.listeners) listener.onOpen?.();
  }
  clock(roundTripMs: number, serverClockOffsetMs: number): void {
    for (const listener of this.listeners) listener.onClock?.({ roundTripMs, serverClockOffsetMs });
  }
  types(): string[] {
    return this.sent.map((message) => message.type);
  }
  get listenerCount(): number {
    return this.listeners.size;
  }
}

export class MemoryStorage implements KeyValueStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}
