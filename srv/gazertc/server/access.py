"""Who may use which HTTP route: the host token, the session secrets, and the checks.

Two kinds of credential, both sent as ``Authorization: Bearer <token>``:

- **the host token**, one per server: ``gazertc serve`` makes a random one at every start and
  prints it in the monitor's address, or takes ``--host-token``. Whoever runs the study holds
  it. It opens every route: the monitor, the stored recordings and their exports, and every
  live session's ``/api/sessions/{session_id}/...``.
- **a session secret**, one per session: made when the session's offer is accepted and sent
  only in that connection's ``/offer`` answer. It opens that session's own
  ``/api/sessions/{session_id}/...`` and nothing else.

A session id names a session; it never grants anything, and no answer shows it to anyone but
the session's own participant and the host.

Answers: no credential (or not a bearer one) is 401 ``unauthorized`` with a
``WWW-Authenticate`` header; a credential that does not open the route is 403 ``forbidden``.
On a session route an unknown id with anything but the host token is 403 as well, like a wrong
secret for a live one, and the offered secret is still compared (with a stand-in), so neither
the answer nor its timing tells whether the id exists. With the host token an unknown id is
404. Tokens are compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Final

from aiohttp import web

from gazertc.protocol import ErrorCode, ProtocolError
from gazertc.records import RecordingActor
from gazertc.server.registry import SessionRegistry
from gazertc.server.session import Session

__all__ = [
    "ACCESS_KEY",
    "MIN_TOKEN_LENGTH",
    "TOKEN_BYTES",
    "AccessControl",
    "check_token",
    "new_token",
]

MIN_TOKEN_LENGTH: Final = 16
"""A chosen ``--host-token`` shorter than this is refused: it could be guessed."""
TOKEN_BYTES: Final = 32
"""Host tokens and session secrets carry 256 random bits (43 URL-safe characters)."""
_TOKEN_ALPHABET: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
)
"""Characters that need no escaping in a URL fragment or an HTTP header."""
_AUTH_SCHEME: Final = "bearer"


def new_token() -> str:
    """A fresh random token (URL-safe): a host token, or a session secret."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def check_token(token: str) -> str:
    """``token`` when it is acceptable as a host token.

    Raises:
        ValueError: shorter than :data:`MIN_TOKEN_LENGTH`, or a character outside
            ``A-Z a-z 0-9 - _ . ~``.
    """
    if len(token) < MIN_TOKEN_LENGTH:
        raise ValueError(
            f"the host token must have at least {MIN_TOKEN_LENGTH} characters, got {len(token)}"
        )
    bad = sorted(set(token) - _TOKEN_ALPHABET)
    if bad:
        raise ValueError(
            f"the host token may use only A-Z a-z 0-9 - _ . ~; it has {''.join(bad)!r}"
        )
    return token


def _bearer_token(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() != _AUTH_SCHEME:
        return None
    return credentials.strip() or None


def _unauthorized() -> ProtocolError:
    return ProtocolError(
        ErrorCode.UNAUTHORIZED,
        "this route needs the header 'Authorization: Bearer <token>': the host token, or for "
        "/api/sessions/{session_id}/... that session's secret",
    )


def _forbidden(what: str) -> ProtocolError:
    return ProtocolError(ErrorCode.FORBIDDEN, f"this credential does not open {what}")


class AccessControl:
    """The credential checks of one server.

    Args:
        host_token: the host token (see :func:`check_token`).
        sessions: the live sessions, whose secrets open their own routes.

    Raises:
        ValueError: an unacceptable host token.
    """

    def __init__(self, host_token: str, sessions: SessionRegistry) -> None:
        self._host_token = check_token(host_token).encode("ascii")
        self._sessions = sessions
        # Compared with an offered secret when the session id is unknown, so that an unknown
        # id costs the same time as a wrong secret.
        self._stand_in_secret = new_token()

    def _offered(self, request: web.Request) -> bytes:
        """The offered bearer token, as ASCII bytes.

        Raises:
            ProtocolError: ``unauthorized`` when there is none.
        """
        offered = _bearer_token(request.headers.get("Authorization"))
        if offered is None:
            raise _unauthorized()
        if not set(offered) <= _TOKEN_ALPHABET:
            # No token has such characters (and hmac.compare_digest takes ASCII only).
            return b""
        return offered.encode("ascii")

    def _is_host(self, offered: bytes) -> bool:
        return hmac.compare_digest(offered, self._host_token)

    def require_host(self, request: web.Request) -> None:
        """Let only the host token through.

        Raises:
            ProtocolError: ``unauthorized`` (no credential) or ``forbidden`` (any other).
        """
        if not self._is_host(self._offered(request)):
            raise _forbidden("this route: it needs the host token")

    def session_of(self, request: web.Request) -> tuple[Session, RecordingActor]:
        """The session named by the route's ``session_id`` and who is asking: the host (host
        token) or its participant (its own secret).

        Raises:
            ProtocolError: ``unauthorized`` (no credential), ``forbidden`` (any credential but
                the host token or this session's secret, for a live or an unknown id alike),
                ``not_found`` (an unknown id, with the host token).
        """
        offered = self._offered(request)
        session_id = request.match_info["session_id"]
        session = self._sessions.get(session_id)
        if self._is_host(offered):
            if session is None:
                raise ProtocolError(ErrorCode.NOT_FOUND, f"no live session {session_id!r}")
            return session, RecordingActor.HOST
        secret = self._stand_in_secret if session is None else session.secret
        if not hmac.compare_digest(offered, secret.encode("ascii")) or session is None:
            raise _forbidden("this session: it needs the session's secret or the host token")
        return session, RecordingActor.PARTICIPANT


ACCESS_KEY: Final = web.AppKey("access", AccessControl)
