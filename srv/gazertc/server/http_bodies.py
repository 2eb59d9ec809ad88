"""The one reader of JSON request bodies for every HTTP route (offer, recordings, monitor)."""

from __future__ import annotations

import json

from aiohttp import web

from gazertc import protocol
from gazertc.protocol import ErrorCode, JsonObject, ProtocolError

__all__ = ["read_json_body"]


async def read_json_body(request: web.Request, definition: str) -> JsonObject:
    """The request's JSON body, valid against the protocol schema's ``definition``.

    The body is bounded by the application's ``client_max_size``: aiohttp refuses a larger one
    with 413 (the app answers ``body_too_large``).

    Raises:
        ProtocolError: ``invalid_json`` when the body is not JSON, ``invalid_request`` when it
            does not match ``definition``.
    """
    body = await request.read()
    try:
        parsed_body = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProtocolError(ErrorCode.INVALID_JSON, f"the body is not valid JSON: {exc}") from exc
    try:
        protocol.validate(parsed_body, definition)
    except ProtocolError as exc:
        raise ProtocolError(ErrorCode.INVALID_REQUEST, exc.message) from exc
    parsed: JsonObject = parsed_body
    return parsed
