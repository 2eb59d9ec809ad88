// The host's HTTP requests (the monitor and the recordings pages): every request carries the
// host token in an Authorization header, and every failed answer becomes a MonitorError.

import { protocolValidator, type DefinitionName, type Definitions } from 'gazertc-client/protocol';

/**
 * Why a host request failed: `unauthorized` (no or wrong token), `unreachable` (no answer),
 * `refused` (a gazertc error such as not_found or recording_in_progress), `bad_response` (not
 * a gazertc answer).
 */
export type MonitorErrorKind = 'unauthorized' | 'unreachable' | 'refused' | 'bad_response';

export class MonitorError extends Error {
  override readonly name = 'MonitorError';

  constructor(
    message: string,
    readonly kind: MonitorErrorKind,
    /** The HTTP status, when an answer came. */
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

export interface HostHttpOptions {
  /** The server's origin, e.g. `http://127.0.0.1:3000`. */
  serverUrl: string;
  token: string;
  fetch?: typeof fetch;
}

export class HostHttp {
  private readonly fetchImpl: typeof fetch;
  private readonly base: string;

  constructor(private readonly options: HostHttpOptions) {
    // Bound: a browser's fetch refuses to run with another `this`.
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.base = options.serverUrl.endsWith('/') ? options.serverUrl : `${options.serverUrl}/`;
  }

  /**
   * The answer, whatever its status.
   * @throws MonitorError when no answer came; the abort reason when `signal` is aborted.
   */
  async send(
    method: 'GET' | 'POST',
    path: string,
    body: object | null,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const url = new URL(path, this.base).toString();
    const headers: Record<string, string> = { Authorization: `Bearer ${this.options.token}` };
    if (body !== null) headers['Content-Type'] = 'application/json';
    try {
      return await this.fetchImpl(url, {
        method,
        headers,
        cache: 'no-store',
        ...(body === null ? {} : { body: JSON.stringify(body) }),
        ...(signal === undefined ? {} : { signal }),
      });
    } catch {
      if (signal?.aborted === true) throw signal.reason;
      throw new MonitorError(
        'The gazertc server is not answering. Is it still running?',
        'unreachable',
      );
    }
  }

  /**
   * A successful answer (a failed one is thrown as its MonitorError).
   * @throws MonitorError; the abort reason when `signal` is aborted.
   */
  async succeeded(
    method: 'GET' | 'POST',
    path: string,
    body: object | null,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const response = await this.send(method, path, body, signal);
    if (!response.ok) await this.refusal(response);
    return response;
  }

  /**
   * A successful answer checked against the protocol schema's `definition`.
   * @throws MonitorError; the abort reason when `signal` is aborted.
   */
  async request<K extends DefinitionName>(
    method: 'GET' | 'POST',
    path: string,
    definition: K,
    body: object | null,
    signal: AbortSignal | undefined,
  ): Promise<Definitions[K]> {
    const response = await this.succeeded(method, path, body, signal);
    let answer: unknown = null;
    try {
      answer = await response.json();
    } catch {
      // Not JSON: described below.
    }
    if (!protocolValidator().isValid(definition, answer)) {
      throw new MonitorError(
        `The server's answer is not a valid ${definition}.`,
        'bad_response',
        response.status,
      );
    }
    return answer;
  }

  /**
   * Throws the MonitorError that a failed answer stands for.
   * @throws MonitorError always.
   */
  async refusal(response: Response): Promise<never> {
    let answer: unknown = null;
    try {
      answer = await response.json();
    } catch {
      // Not JSON: described below.
    }
    const error = protocolValidator().isValid('error', answer) ? answer : null;
    const message = error?.message ?? null;
    // 401: no token; 403 without ref_type: a token that does not open the host's routes. A 403
    // with ref_type is a refused action (a host start under --no-host-recording), not the token.
    const tokenRefused =
      response.status === 401 || (response.status === 403 && error?.ref_type === undefined);
    if (tokenRefused) {
      throw new MonitorError(
        message ?? 'The host token was refused.',
        'unauthorized',
        response.status,
      );
    }
    if (message !== null) throw new MonitorError(message, 'refused', response.status);
    throw new MonitorError(
      `The server answered HTTP ${response.status} without a gazertc error.`,
      'bad_response',
      response.status,
    );
  }
}
