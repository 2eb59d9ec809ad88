// HTTP signalling: POST /offer with a complete (non-trickle) offer, get the answer back.

import type { ErrorCode, OfferAnswer, OfferRequest } from '../protocol/types.gen';
import { protocolValidator } from '../protocol/validate';

/** Why an offer was not answered, and whether trying again later can help. */
export class SignallingError extends Error {
  override readonly name = 'SignallingError';

  constructor(
    message: string,
    /** The server's error code, `unreachable` when no answer came, `bad_response` for junk. */
    readonly code: ErrorCode | 'unreachable' | 'bad_response',
    readonly retryable: boolean,
    /** The server's Retry-After, when it sent one. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

/** Server error codes that a later attempt may get past (after the server's Retry-After). */
const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'too_many_sessions',
  'rate_limited',
  'internal_error',
  // A node of a cluster being drained; through the balancer another node answers instead.
  'node_draining',
]);

/** Whether a server error code may go away by itself (retry later). */
export function isRetryableCode(code: string): boolean {
  return RETRYABLE_CODES.has(code);
}

function retryAfterMs(header: string | null): number | null {
  if (header === null) return null;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : null;
}

async function errorFrom(response: Response, where: string): Promise<SignallingError> {
  const retryAfter = retryAfterMs(response.headers.get('Retry-After'));
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: not a gazertc server (or a proxy error page); described below.
  }
  const validator = protocolValidator();
  if (validator.isValid('error', body)) {
    const retryable = isRetryableCode(body.code) || response.status >= 500;
    return new SignallingError(body.message, body.code, retryable, retryAfter);
  }
  return new SignallingError(
    `${where} answered HTTP ${response.status} without a gazertc error: is this a gazertc server?`,
    'bad_response',
    response.status >= 500,
    retryAfter,
  );
}

/**
 * Send an offer to `${serverUrl}/offer` and return the validated answer.
 * @throws SignallingError when the server cannot be reached or refuses; the abort reason when
 *   `signal` is aborted.
 */
export async function postOffer(
  serverUrl: string,
  request: OfferRequest,
  { fetch: fetchImpl = fetch, signal }: { fetch?: typeof fetch; signal?: AbortSignal } = {},
): Promise<OfferAnswer> {
  const url = new URL('offer', serverUrl.endsWith('/') ? serverUrl : `${serverUrl}/`).toString();
  const where = new URL(url).host;
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
      ...(signal === undefined ? {} : { signal }),
    });
  } catch {
    if (signal?.aborted === true) throw signal.reason;
    // The browser's reason ("Failed to fetch") says nothing more to a person than this does.
    throw new SignallingError(
      `The gazertc server at ${where} is not answering. Is it running?`,
      'unreachable',
      true,
    );
  }
  if (!response.ok) throw await errorFrom(response, where);
  let answer: unknown;
  try {
    answer = await response.json();
  } catch {
    answer = null;
  }
  if (!protocolValidator().isValid('offer_answer', answer)) {
    throw new SignallingError(
      `${where} did not answer the offer with a gazertc answer: is this a gazertc server?`,
      'bad_response',
      false,
    );
  }
  return answer;
}
