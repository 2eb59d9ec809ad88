import { describe, expect, it, vi } from 'vitest';
import { SignallingError, isRetryableCode, postOffer } from '../../src/rtc/signalling';
import { fixture } from '../fixtures';

const REQUEST = { sdp: 'v=0\r\n', type: 'offer' as const, options: { output: 'json' as const } };

function respond(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): typeof fetch {
  return vi.fn(() =>
    Promise.resolve(
      new Response(typeof body === 'string' ? body : JSON.stringify(body), {
        status,
        headers: { 'Content-Type': 'application/json', ...headers },
      }),
    ),
  );
}

async function failure(promise: Promise<unknown>): Promise<SignallingError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SignallingError) return error;
    throw error;
  }
  throw new Error('expected a SignallingError');
}

describe('postOffer', () => {
  it('posts the offer as JSON to /offer and returns the answer', async () => {
    const answer = fixture('offer_answer.basic.json');
    const fetchImpl = respond(200, answer);
    await expect(
      postOffer('http://localhost:3000', REQUEST, { fetch: fetchImpl }),
    ).resolves.toEqual(answer);
    expect(fetchImpl).toHaveBeenCalledWith(
      'http://localhost:3000/offer',
      expect.objectContaining({ method: 'POST', body: JSON.stringify(REQUEST) }),
    );
  });

  it('keeps a path prefix of the server URL', async () => {
    const fetchImpl = respond(200, fixture('offer_answer.basic.json'));
    await postOffer('https://example.org/gaze', REQUEST, { fetch: fetchImpl });
    expect(fetchImpl).toHaveBeenCalledWith('https://example.org/gaze/offer', expect.anything());
  });

  it('a full server may be retried after its Retry-After', async () => {
    const error = await failure(
      postOffer('http://localhost:3000', REQUEST, {
        fetch: respond(503, fixture('error.too_many_sessions.json'), { 'Retry-After': '10' }),
      }),
    );
    expect(error).toMatchObject({
      code: 'too_many_sessions',
      retryable: true,
      retryAfterMs: 10_000,
    });
    expect(error.message).toMatch(/limit of 8 sessions/);
  });

  it('too many offers from one address may be retried after the Retry-After', async () => {
    const error = await failure(
      postOffer('http://localhost:3000', REQUEST, {
        fetch: respond(429, fixture('error.rate_limited.json'), { 'Retry-After': '3' }),
      }),
    );
    expect(error).toMatchObject({ code: 'rate_limited', retryable: true, retryAfterMs: 3000 });
  });

  it('a draining node of a cluster, asked directly, may be retried after the Retry-After', async () => {
    const error = await failure(
      postOffer('http://10.0.0.12:3001', REQUEST, {
        fetch: respond(503, fixture('error.node_draining.json'), { 'Retry-After': '5' }),
      }),
    );
    expect(error).toMatchObject({ code: 'node_draining', retryable: true, retryAfterMs: 5000 });
    expect(error.message).toMatch(/being drained/);
  });

  it('a refused offer is not retried', async () => {
    const body = {
      v: 1,
      type: 'error',
      code: 'invalid_sdp',
      message: 'the offer has no video m-line',
      fatal: true,
    };
    const error = await failure(
      postOffer('http://localhost:3000', REQUEST, { fetch: respond(400, body) }),
    );
    expect(error).toMatchObject({
      code: 'invalid_sdp',
      retryable: false,
      message: 'the offer has no video m-line',
    });
  });

  it('an unreachable server is retried', async () => {
    const fetchImpl: typeof fetch = () => Promise.reject(new TypeError('Failed to fetch'));
    const error = await failure(postOffer('http://localhost:3000', REQUEST, { fetch: fetchImpl }));
    expect(error).toMatchObject({ code: 'unreachable', retryable: true });
    expect(error.message).toBe(
      'The gazertc server at localhost:3000 is not answering. Is it running?',
    );
  });

  it('something that is not a gazertc server is named as such', async () => {
    const notFound = await failure(
      postOffer('http://localhost:3000', REQUEST, {
        fetch: respond(404, '<html>Not Found</html>'),
      }),
    );
    expect(notFound).toMatchObject({ code: 'bad_response', retryable: false });
    const junk = await failure(
      postOffer('http://localhost:3000', REQUEST, { fetch: respond(200, { ok: true }) }),
    );
    expect(junk).toMatchObject({ code: 'bad_response', retryable: false });
  });

  it('passes an abort through as the abort reason', async () => {
    const controller = new AbortController();
    const fetchImpl: typeof fetch = () => {
      controller.abort(new DOMException('stopped', 'AbortError'));
      return Promise.reject(new DOMException('stopped', 'AbortError'));
    };
    await expect(
      postOffer('http://localhost:3000', REQUEST, { fetch: fetchImpl, signal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('isRetryableCode', () => {
  it('retries what goes away by itself (also when it arrives over a WebSocket), not refusals', () => {
    for (const code of ['too_many_sessions', 'rate_limited', 'internal_error', 'node_draining']) {
      expect(isRetryableCode(code), code).toBe(true);
    }
    for (const code of ['invalid_sdp', 'unauthorized', 'forbidden', 'session_ended_by_host']) {
      expect(isRetryableCode(code), code).toBe(false);
    }
  });
});
