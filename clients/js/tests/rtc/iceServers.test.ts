import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { fetchIceServers } from '../../src/rtc/iceServers';
import { fixture } from '../fixtures';

const TURN_REST = fixture('ice_servers.turn_rest.json');

function respond(status: number, body: unknown): typeof fetch {
  return vi.fn(() => Promise.resolve(new Response(JSON.stringify(body), { status })));
}

describe('fetchIceServers', () => {
  let warn: MockInstance<typeof console.warn>;
  beforeEach(() => {
    warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => {
    warn.mockRestore();
  });

  it('asks the server and gives its STUN and TURN servers to the peer connection', async () => {
    const fetchImpl = respond(200, TURN_REST);
    const servers = await fetchIceServers('http://localhost:3000', { fetch: fetchImpl });
    expect(fetchImpl).toHaveBeenCalledWith('http://localhost:3000/api/ice-servers', {});
    expect(servers).toEqual([
      { urls: ['stun:stun.example.org:3478'] },
      {
        urls: [
          'turn:turn.example.org:3478?transport=udp',
          'turns:turn.example.org:5349?transport=tcp',
        ],
        username: '1767247200:gazertc',
        credential: '3wnNgQ2wpX0gAJ9n1g3IV7Vc7u0=',
      },
    ]);
    expect(warn).not.toHaveBeenCalled();
  });

  it.each([
    [
      'an error status',
      respond(404, { v: 1, type: 'error', code: 'not_found', message: 'x', fatal: true }),
      /HTTP 404/,
    ],
    [
      'a body that is not a list',
      respond(200, { ice_servers: [{ urls: ['https://x'] }] }),
      /not a list/,
    ],
    ['no answer', vi.fn(() => Promise.reject(new TypeError('Failed to fetch'))), /Failed to fetch/],
  ])('goes on with none, saying so in the console, after %s', async (_, fetchImpl, reason) => {
    await expect(fetchIceServers('http://localhost:3000/', { fetch: fetchImpl })).resolves.toEqual(
      [],
    );
    expect(warn).toHaveBeenCalledOnce();
    expect(String(warn.mock.calls[0]?.[0])).toMatch(reason);
    expect(String(warn.mock.calls[0]?.[0])).toMatch(/host candidates only/);
  });

  it('gives up when the connection attempt is aborted', async () => {
    const abort = new AbortController();
    const reason = new DOMException('stopped', 'AbortError');
    const fetchImpl: typeof fetch = () => {
      abort.abort(reason);
      return Promise.reject(reason);
    };
    await expect(
      fetchIceServers('http://localhost:3000', { fetch: fetchImpl, signal: abort.signal }),
    ).rejects.toBe(reason);
    expect(warn).not.toHaveBeenCalled();
  });
});
