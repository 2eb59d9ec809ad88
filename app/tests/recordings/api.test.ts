import { describe, expect, it } from 'vitest';
import { RecordingsApi } from '../../src/recordings/api';
import { FakeRecordingsServer, RECORDING_ID } from './fakeRecordingsServer';

const TOKEN = 'host-token-0123456789';

function api(server: FakeRecordingsServer, token = TOKEN): RecordingsApi {
  return new RecordingsApi({ serverUrl: 'http://127.0.0.1:3000', token, fetch: server.fetch });
}

describe('RecordingsApi', () => {
  it('sends the token in the Authorization header, never in the URL', async () => {
    const server = new FakeRecordingsServer(TOKEN);
    const list = await api(server).list();
    expect(list.recordings.map((recording) => recording.participant_label)).toEqual(['P07']);
    await api(server).summary(RECORDING_ID);
    await api(server).replay(RECORDING_ID);
    expect(server.requests.map((request) => new URL(request.url).pathname)).toEqual([
      '/api/recordings',
      `/api/recordings/${RECORDING_ID}/summary`,
      `/api/recordings/${RECORDING_ID}/replay`,
    ]);
    for (const request of server.requests) {
      expect(request.authorization).toBe(`Bearer ${TOKEN}`);
      expect(request.url).not.toContain(TOKEN);
    }
  });

  it('fetches an export as a blob of the format asked for', async () => {
    const server = new FakeRecordingsServer(TOKEN);
    const blob = await api(server).exportZip(RECORDING_ID, 'bids');
    expect(await blob.text()).toBe('zip of bids');
    expect(server.requests[0]?.url).toMatch(/\/export\?format=bids$/);
  });

  it('says when the token is refused, and what the server said otherwise', async () => {
    const server = new FakeRecordingsServer(TOKEN);
    await expect(api(server, 'wrong').list()).rejects.toMatchObject({
      kind: 'unauthorized',
      status: 401,
    });
    await expect(api(server).summary('ffff')).rejects.toMatchObject({
      kind: 'refused',
      message: 'no such recording',
      status: 404,
    });
  });

  it('refuses an answer that is not a replay', async () => {
    const fetchWrong: typeof fetch = () => Promise.resolve(Response.json({ t_s: [0, 1] }));
    const wrong = new RecordingsApi({ serverUrl: 'http://x', token: TOKEN, fetch: fetchWrong });
    await expect(wrong.replay(RECORDING_ID)).rejects.toMatchObject({ kind: 'bad_response' });
  });

  it('says when the server does not answer', async () => {
    const down: typeof fetch = () => Promise.reject(new TypeError('Failed to fetch'));
    const api = new RecordingsApi({ serverUrl: 'http://x', token: TOKEN, fetch: down });
    await expect(api.list()).rejects.toMatchObject({ kind: 'unreachable' });
  });
});
