// The STUN and TURN servers for a peer connection come from the server (GET /api/ice-servers),
// asked before every offer: TURN credentials are made for each connection and expire. Without an
// answer the app connects with host candidates only, which is enough on one machine and on a
// LAN, and says so in the console.

import { protocolValidator } from '../protocol/validate';

export const ICE_SERVERS_PATH = 'api/ice-servers';

/**
 * The server's ICE servers for `RTCPeerConnection`; none (and a console warning) when it does
 * not answer with a valid list.
 * @throws the abort reason when `signal` is aborted.
 */
export async function fetchIceServers(
  serverUrl: string,
  { fetch: fetchImpl = fetch, signal }: { fetch?: typeof fetch; signal?: AbortSignal } = {},
): Promise<RTCIceServer[]> {
  const url = new URL(ICE_SERVERS_PATH, serverUrl.endsWith('/') ? serverUrl : `${serverUrl}/`);
  let problem: string;
  try {
    const response = await fetchImpl(url.toString(), signal === undefined ? {} : { signal });
    const body: unknown = response.ok ? await response.json() : null;
    if (protocolValidator().isValid('ice_servers', body)) {
      return body.ice_servers.map(({ urls, username, credential }) => ({
        urls,
        ...(username === undefined ? {} : { username }),
        ...(credential === undefined ? {} : { credential }),
      }));
    }
    problem = response.ok ? 'the answer is not a list of ICE servers' : `HTTP ${response.status}`;
  } catch (error) {
    if (signal?.aborted === true) throw signal.reason;
    problem = error instanceof Error ? error.message : String(error);
  }
  console.warn(
    `gazertc: no STUN/TURN servers from ${url.host} (${problem}); connecting with host candidates only, which works on this machine and on a LAN`,
  );
  return [];
}
