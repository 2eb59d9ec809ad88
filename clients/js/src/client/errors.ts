// The one error type GazeClient rejects with: a stable `code` to branch on, a message to show.

/**
 * Codes: `camera_<kind>` (denied, absent, busy, insecure, unsupported, ended, other), a server
 * error code (e.g. `too_many_sessions`, `calibration_failed`), `unreachable`, `bad_response`,
 * `not_connected`, `timeout`, `stopped`, `bad_options`.
 */
export class GazeClientError extends Error {
  override readonly name = 'GazeClientError';

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
