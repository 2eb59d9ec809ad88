// Requests answered in order (event -> event_ack, recording -> recording_status): one FIFO queue
// of waiting promises per kind, each with a timeout.

import { GazeClientError } from './errors';

/** The server answers within milliseconds; past this it is not answering. */
export const REQUEST_TIMEOUT_MS = 10_000;

interface Waiting<T> {
  resolve(value: T): void;
  reject(error: GazeClientError): void;
  timer: ReturnType<typeof setTimeout>;
}

export class AnswerQueue<T> {
  private readonly waiting: Waiting<T>[] = [];

  constructor(
    private readonly what: string,
    private readonly timeoutMs: number = REQUEST_TIMEOUT_MS,
  ) {}

  /** A promise for the next answer not yet claimed. */
  expect(): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: Waiting<T> = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const index = this.waiting.indexOf(entry);
          if (index >= 0) this.waiting.splice(index, 1);
          reject(new GazeClientError('timeout', `The server did not answer the ${this.what}.`));
        }, this.timeoutMs),
      };
      this.waiting.push(entry);
    });
  }

  resolveNext(value: T): void {
    const entry = this.waiting.shift();
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    entry.resolve(value);
  }

  rejectNext(error: GazeClientError): void {
    const entry = this.waiting.shift();
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    entry.reject(error);
  }

  rejectAll(error: GazeClientError): void {
    while (this.waiting.length > 0) this.rejectNext(error);
  }
}
