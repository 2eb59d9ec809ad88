"""The HTTP edge: which requests reach a route, how often an address may offer, and the headers
every answer carries.

A server on localhost is reachable by every web page its user opens; one on a network by
everybody there. One middleware (:func:`install` puts it first) checks, in this order, before
any route runs:

1. **Host** (DNS rebinding). A page at ``http://attacker.example:3000`` whose name the attacker
   re-points at 127.0.0.1 is same-origin with the server in the browser's eyes, but its requests
   say ``Host: attacker.example:3000``. Accepted names: ``localhost`` and ``*.localhost``, IP
   addresses (rebinding needs a name the attacker controls), this machine's own name, the
   ``--host`` name and every ``--allowed-host``; any other is 421 ``misdirected_request``. The
   port is not compared: proxies and the app's dev server change it, and it identifies nothing
   an attacker could not match.
2. **Origin** (requests from other sites' pages). Browsers name the page behind a request in
   ``Origin`` (every POST, every cross-origin fetch). Accepted: the page's own origin and the
   ``--allow-origin`` origins, which get CORS headers (and their preflights a 204). Any other
   origin is 403 ``forbidden`` before the route runs: a ``text/plain`` POST needs no preflight,
   so leaving the refusal to the browser's CORS check would come after the session was made.
   Requests without ``Origin`` come from programs (the Python client, curl), not from pages.
3. **Offer rate**. ``POST /offer`` and ``GET /ws`` (a session each) take a token from their
   address's bucket (:class:`OfferRateLimiter`); an empty bucket is 429 ``rate_limited`` with
   ``Retry-After``.

Every answer, errors and files included, carries :func:`security_headers` (an
``on_response_prepare`` signal), and every ``/offer`` outcome and every session end is one INFO
line on the ``gazertc.connections`` logger (:class:`ConnectionLog`), which names sessions by a
keyed hash, never by their id (a session id opens its session's routes with its secret).
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import math
import secrets
import socket
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final
from urllib.parse import urlsplit

from aiohttp import web

from gazertc import protocol
from gazertc.protocol import ErrorCode
from gazertc.server.session import Session

__all__ = [
    "CLIENT_ADDRESS_KEY",
    "CONNECTION_LOG_KEY",
    "DEFAULT_OFFER_RATE",
    "OFFER_WINDOW_S",
    "ConnectionLog",
    "EdgeConfig",
    "OfferRateLimiter",
    "check_host_name",
    "check_origin",
    "exposure_warning",
    "install",
    "security_headers",
]

logger = logging.getLogger(__name__)
connections_logger = logging.getLogger("gazertc.connections")

OFFER_WINDOW_S: Final = 10.0
"""The offer rate is counted per this many seconds."""
DEFAULT_OFFER_RATE: Final = 4
"""Offers per address per window. A page makes one offer per session and retries with back-off
(0.5, 1, 2, 4 s ...), so 4 in 10 s is more than a person needs; and it is half the default 8
sessions, so one address cannot fill the server with offers that never connect while they wait
out the connect timeout (:data:`gazertc.server.session.CONNECT_TIMEOUT_S`)."""
MAX_TRACKED_ADDRESSES: Final = 4096
"""Addresses with a partly used bucket kept at once; beyond, the least recently seen is dropped
(its bucket starts full again): memory stays bounded when many addresses offer."""
IPV6_PREFIX_BITS: Final = 64
"""One IPv6 host usually holds a whole /64: its addresses share a bucket."""
LOG_TAG_HEX_DIGITS: Final = 8
"""Session tags in the log: 32 bits of a keyed hash, enough to tell a server's sessions apart
and useless for finding the session id."""
PREFLIGHT_MAX_AGE_S: Final = 600
"""How long a browser may reuse an allowed preflight."""

_DEFAULT_PORTS: Final = {"http": "80", "https": "443"}
_LOOPBACK_NAMES: Final = frozenset({"localhost", "127.0.0.1", "::1"})
_WILDCARD_HOSTS: Final = frozenset({"", "0.0.0.0", "::"})
_CORS_METHODS: Final = "GET, POST"
_CORS_HEADERS: Final = "Authorization, Content-Type"
_OFFER_PATH: Final = "/offer"
_SESSION_ROUTES: Final = frozenset({("POST", _OFFER_PATH), ("GET", "/ws")})
"""The routes that make a session: rate-limited and logged alike."""

CONTENT_SECURITY_POLICY: Final = "; ".join(
    (
        "default-src 'self'",
        # No 'unsafe-eval' and no inline script: the app's validators are compiled at build time.
        "script-src 'self'",
        # The built app's styles are one file; React sets element styles through the CSSOM,
        # which style-src does not restrict.
        "style-src 'self'",
        "img-src 'self' data: blob:",
        # jsPsych's stylesheet (the example experiment) embeds its fonts as data: URLs.
        "font-src 'self' data:",
        "media-src 'self' blob:",
        # The app talks to its own origin only (WebRTC media is not governed by CSP).
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def security_headers() -> Mapping[str, str]:
    """The headers every answer carries."""
    return {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


# -- configuration -----------------------------------------------------------------------------


def check_origin(origin: str) -> str:
    """``origin`` in canonical form (``https://lab.example.org``, ``http://10.0.0.5:8080``).

    Raises:
        ValueError: not ``http(s)://host[:port]`` (a path, query or credentials are refused).
    """
    try:
        parts = urlsplit(origin.strip())
    except ValueError as exc:
        raise ValueError(f"{origin!r} is not an origin like https://lab.example.org") from exc
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"{origin!r} is not an origin like https://lab.example.org")
    if parts.path not in {"", "/"} or parts.query or parts.fragment or parts.username:
        raise ValueError(f"{origin!r}: an origin is scheme://host[:port], nothing more")
    try:
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"{origin!r}: {exc}") from exc
    return _origin_of(parts.scheme, parts.netloc.lower().rsplit("@", 1)[-1], port)


def _origin_of(scheme: str, netloc: str, port: int | None) -> str:
    if port is not None and str(port) == _DEFAULT_PORTS[scheme]:
        netloc = netloc.rsplit(":", 1)[0]
    return f"{scheme}://{netloc}"


def check_host_name(name: str) -> str:
    """``name`` lower-cased, when it can name this server in a ``Host`` header.

    Raises:
        ValueError: empty, with a port or a scheme, or with characters no host name has.
    """
    value = name.strip().lower().rstrip(".")
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    if _is_ip(value):
        return value
    if not value or not all(part and _is_label(part) for part in value.split(".")):
        raise ValueError(
            f"{name!r} is not a host name (give the name only, e.g. gaze.example.org: no "
            "scheme, no port)"
        )
    return value


def _is_label(part: str) -> bool:
    return len(part) <= 63 and part.replace("-", "").isalnum() and part.isascii()


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class EdgeConfig:
    """Who may reach the server, and how often.

    Attributes:
        allowed_origins: origins (:func:`check_origin` form) whose pages may use the API besides
            the server's own page; they get CORS headers.
        allowed_hosts: host names (:func:`check_host_name` form) that name this server besides
            localhost, IP addresses, this machine's name and the listening address: the name a
            reverse proxy or a DNS entry gives it.
        offer_rate: offers per address per :data:`OFFER_WINDOW_S` (also the burst).
        trusted_proxies: addresses of reverse proxies whose ``X-Forwarded-For`` names the
            client (for the offer rate and the log); other peers' header is ignored.
    """

    allowed_origins: tuple[str, ...] = ()
    allowed_hosts: tuple[str, ...] = ()
    offer_rate: int = DEFAULT_OFFER_RATE
    trusted_proxies: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.offer_rate < 1:
            raise ValueError(f"offer_rate must be at least 1, got {self.offer_rate}")


def _is_loopback(host: str) -> bool:
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def exposure_warning(host: str, *, tls: bool) -> str | None:
    """A warning when listening on ``host`` serves plain HTTP beyond this machine, else None."""
    if tls or _is_loopback(host):
        return None
    where = "every network interface" if host in _WILDCARD_HOSTS else host
    return (
        f"serving plain HTTP on {where}: anyone on the network can watch and alter the traffic, "
        "and browsers give the camera only to https pages or localhost. Use --cert/--key, or a "
        "TLS reverse proxy (README: Hosting for others)"
    )


# -- the offer rate ----------------------------------------------------------------------------


class OfferRateLimiter:
    """A token bucket per client address: ``rate`` tokens, refilled at ``rate`` per
    ``window_s``; an offer takes one.

    Args:
        rate: bucket size and refills per window (at least 1).
        window_s: the window.
        clock: monotonic seconds (tests pass a fake one).
    """

    def __init__(
        self,
        rate: int,
        window_s: float = OFFER_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate < 1 or window_s <= 0:
            raise ValueError(f"need a rate >= 1 and a window > 0, got {rate} per {window_s} s")
        self.rate = rate
        self._capacity = float(rate)
        self._refill_per_s = rate / window_s
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, address: str) -> float | None:
        """Take a token for ``address``: ``None`` when one was there, else the seconds until
        the next one."""
        key = _bucket_key(address)
        now_s = self._clock()
        tokens, updated_s = self._buckets.pop(key, (self._capacity, now_s))
        tokens = min(self._capacity, tokens + (now_s - updated_s) * self._refill_per_s)
        wait_s: float | None = None
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait_s = (1.0 - tokens) / self._refill_per_s
        self._buckets[key] = (tokens, now_s)
        while len(self._buckets) > MAX_TRACKED_ADDRESSES:
            self._buckets.popitem(last=False)
        return wait_s


def _bucket_key(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, IPV6_PREFIX_BITS), strict=False))
    return str(ip)


# -- the connection log ------------------------------------------------------------------------


class ConnectionLog:
    """One INFO line per ``/offer`` outcome and per session end, on ``gazertc.connections``:
    UTC time, the client's address, a session tag (a keyed hash of the session id, with a key
    made at start) and the outcome. No session id, secret or token appears."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._addresses: dict[str, str] = {}

    def tag(self, session_id: str) -> str:
        """The session's name in the log."""
        digest = hmac.new(self._key, session_id.encode("utf-8"), hashlib.sha256).hexdigest()
        return digest[:LOG_TAG_HEX_DIGITS]

    def offer(self, address: str, status: int, outcome: str, session_id: str | None) -> None:
        """Log an ``/offer`` outcome (``session_id`` when a session was made)."""
        session = ""
        if session_id is not None:
            self._addresses[session_id] = address
            session = f" session={self.tag(session_id)}"
        connections_logger.info(
            "%s offer client=%s%s status=%d %s", _now(), address, session, status, outcome
        )

    def session_ended(self, session: Session) -> None:
        """Log a session's end: how long it lasted and why it ended."""
        address = self._addresses.pop(session.session_id, "?")
        lasted_s = (time.time_ns() - session.started_unix_ns) / 1e9
        connections_logger.info(
            "%s end client=%s session=%s after=%.1fs reason=%s",
            _now(),
            address,
            self.tag(session.session_id),
            lasted_s,
            json.dumps(session.close_reason or "unknown"),
        )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


CONNECTION_LOG_KEY: Final = web.AppKey("connection_log", ConnectionLog)


# -- the middleware ----------------------------------------------------------------------------


def _error(
    code: ErrorCode, status: int, message: str, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.json_response(
        protocol.make_error(code, message, fatal=True), status=status, headers=headers
    )


def _host_name(header: str) -> str:
    """The name in a ``Host`` header: lower case, no port, no brackets, no final dot."""
    value = header.strip().lower()
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    return value.rstrip(".")


def _own_origin(origin: str, host_header: str) -> bool:
    """Whether ``origin`` is the origin of a page this server served under ``host_header``."""
    try:
        parts = urlsplit(origin)
    except ValueError:  # e.g. "http://[::1": no page has that origin
        return False
    if parts.scheme not in _DEFAULT_PORTS:
        return False
    host = host_header.strip().lower()
    default = f":{_DEFAULT_PORTS[parts.scheme]}"
    return parts.netloc.lower() in {host, host.removesuffix(default)}


class _Edge:
    """The checks of one server (see the module docstring)."""

    def __init__(self, config: EdgeConfig, listen_host: str, log: ConnectionLog) -> None:
        names = set(_LOOPBACK_NAMES) | {check_host_name(name) for name in config.allowed_hosts}
        if listen_host not in _WILDCARD_HOSTS:
            names.add(listen_host.strip("[]").lower())
        machine = socket.gethostname().lower()
        names |= {machine, f"{machine}.local"}
        self._names = frozenset(names)
        self._origins = frozenset(check_origin(origin) for origin in config.allowed_origins)
        self._proxies = frozenset(config.trusted_proxies)
        self._limiter = OfferRateLimiter(config.offer_rate)
        self._log = log

    def host_allowed(self, header: str | None) -> bool:
        if header is None:
            return True  # HTTP/1.0 (a proxy's health check): no browser sends a request so.
        name = _host_name(header)
        return name in self._names or name.endswith(".localhost") or _is_ip(name)

    def client_address(self, request: web.Request) -> str:
        remote = request.remote or "unknown"
        if remote in self._proxies:
            forwarded = ",".join(request.headers.getall("X-Forwarded-For", ()))
            nearest = forwarded.rsplit(",", 1)[-1].strip()
            if _is_ip(nearest):
                return nearest
        return remote

    async def __call__(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        host = request.headers.get("Host")
        if not self.host_allowed(host):
            return _error(
                ErrorCode.MISDIRECTED_REQUEST,
                421,
                f"this server does not answer to the host name {_host_name(host or '')!r}; "
                "a host that serves it under that name starts it with --allowed-host",
            )
        origin = request.headers.get("Origin")
        if origin is not None and not (host is not None and _own_origin(origin, host)):
            if origin.lower().rstrip("/") not in self._origins:
                return self._refuse_origin(request, origin)
            request[_CORS_ORIGIN] = origin
            if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
                return web.Response(status=204, headers=_preflight_headers())
        if (request.method, request.path) in _SESSION_ROUTES:
            return await self._offer(request, handler)
        return await handler(request)

    def _refuse_origin(self, request: web.Request, origin: str) -> web.Response:
        if (request.method, request.path) in _SESSION_ROUTES:
            self._log.offer(self.client_address(request), 403, "refused: origin", None)
        return _error(
            ErrorCode.FORBIDDEN,
            403,
            f"requests from pages at {origin[:100]!r} are not accepted; a host who wants that "
            "page to use this server starts it with --allow-origin ORIGIN",
        )

    async def _offer(
        self,
        request: web.Request,
        handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
    ) -> web.StreamResponse:
        address = self.client_address(request)
        wait_s = self._limiter.take(address)
        if wait_s is not None:
            retry_after_s = max(1, math.ceil(wait_s))
            self._log.offer(address, 429, "refused: rate_limited", None)
            return _error(
                ErrorCode.RATE_LIMITED,
                429,
                f"too many offers from {address}: at most {self._limiter.rate} per "
                f"{OFFER_WINDOW_S:g} s; try again in {retry_after_s} s",
                headers={"Retry-After": str(retry_after_s)},
            )
        request[CLIENT_ADDRESS_KEY] = address
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            self._log.offer(address, exc.status, f"refused: {exc.reason}", None)
            raise
        except Exception:
            self._log.offer(address, 500, "failed", None)
            raise
        if isinstance(response, web.WebSocketResponse) and response.prepared:
            return response  # the route logged its session when it began; it has ended now
        session_id, outcome = _offer_outcome(response)
        self._log.offer(address, response.status, outcome, session_id)
        return response


def _offer_outcome(response: web.StreamResponse) -> tuple[str | None, str]:
    """The session id (accepted) or the error code (refused) of an ``/offer`` answer: both are
    JSON (the protocol's ``offer_answer`` and ``error``)."""
    body = response.body if isinstance(response, web.Response) else None
    try:
        answer = json.loads(body) if isinstance(body, bytes) else None
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        return None, "refused" if response.status >= 400 else "accepted"
    if response.status < 400 and isinstance(answer.get("session_id"), str):
        return answer["session_id"], "accepted"
    return None, f"refused: {answer.get('code', 'unknown')}"


def _preflight_headers() -> dict[str, str]:
    return {
        "Access-Control-Allow-Methods": _CORS_METHODS,
        "Access-Control-Allow-Headers": _CORS_HEADERS,
        "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_S),
    }


_CORS_ORIGIN: Final = web.RequestKey("gazertc_cors_origin", str)
CLIENT_ADDRESS_KEY: Final = web.RequestKey("gazertc_client_address", str)
"""The client's address (behind trusted proxies: the forwarded one), on session requests."""


async def _add_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers.update(security_headers())
    origin = request.get(_CORS_ORIGIN)
    if origin is not None:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "Retry-After"
        response.headers.add("Vary", "Origin")


def install(app: web.Application, config: EdgeConfig, *, listen_host: str, tls: bool) -> None:
    """Put the edge checks first among ``app``'s middlewares, the security headers on every
    answer, and the connection log under :data:`CONNECTION_LOG_KEY`; warn at start-up when
    plain HTTP is served beyond this machine.

    Raises:
        ValueError: an allowed origin or host name that is not one.
    """
    log = app[CONNECTION_LOG_KEY] = ConnectionLog()
    edge = _Edge(config, listen_host, log)
    app.middlewares.insert(0, web.middleware(edge))
    app.on_response_prepare.append(_add_headers)
    warning = exposure_warning(listen_host, tls=tls)
    if warning is not None:

        async def _warn(_: web.Application) -> None:
            logger.warning(warning)

        app.on_startup.append(_warn)
