"""The one reader of JSON request bodies for every HTTP route (offer, recordings, monitor)."""

from __future__ import annotations

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from gazertc import protocol
from gazertc.protocol import ErrorCode, JsonObject, ProtocolError

__all__ = ["read_json_body"]


async def read_json_body(request: web.Request, definition: str) -> JsonObject:
    """The request's JSON body, valid against the protocol schema's ``definition``.

    The body is bounded by the application's ``client_max_size``: aiohttp refuses a larger one
    with 413 (the app answers ``body_too_large``); its nesting by
    :data:`~gazertc.protocol.MAX_JSON_DEPTH` (see :func:`~gazertc.protocol.parse_json`).

    Raises:
        ProtocolError: ``invalid_json`` when the body is not JSON (or not UTF-8, or nested too
            deeply), ``body_too_large`` when it is larger than ``client_max_size``,
            ``invalid_request`` when it does not match ``definition`` or could not be read
            (the connection was lost, the chunks were malformed).
    """
    try:
        body = await request.read()
    except (ConnectionError, HttpProcessingError) as exc:
        # The client went away mid-body, or framed it wrongly (chunks): nothing to parse. The
        # answer may never arrive; it still is an answer, not a traceback in the log.
        raise ProtocolError(
            ErrorCode.INVALID_REQUEST, f"the request body could not be read: {exc}"
        ) from exc
    try:
        parsed_body = protocol.parse_json(body, max_bytes=request.client_max_size)
    except ProtocolError as exc:
        code = ErrorCode.BODY_TOO_LARGE if exc.code is ErrorCode.MESSAGE_TOO_LARGE else exc.code
        raise ProtocolError(code, f"request body: {exc.message}") from exc
    try:
        protocol.validate(parsed_body, definition)
    except ProtocolError as exc:
        raise ProtocolError(ErrorCode.INVALID_REQUEST, exc.message) from exc
    parsed: JsonObject = parsed_body
    return parsed
