"""This server as one node of a cluster: its name, and draining.

Several identical nodes run behind a load balancer (``deploy/README.md``). Each has a name
(``gazertc serve --node-name``, default ``<hostname>:<port>``) that every ``/offer`` answer and
``/health`` carry, so a client and the host know which node holds a session.

A draining node takes no new sessions and finishes the ones it has: ``POST /offer`` and
``GET /ws`` answer 503 ``node_draining`` (with Retry-After), and ``GET /health`` answers 503,
which the balancer's health check (HAProxy ``http-check expect status 200``) takes as "send
nothing new here". HAProxy retries a refused offer on another node (``retry-on 503``), so a
participant never sees the refusal. Sessions already running are untouched: their media flows
directly between the participant and the node, and WebSocket tunnels stay open.

The host drains a node with ``POST /api/monitor/nodes/{node}/drain|undrain``
(:mod:`gazertc.server.monitor`), on that node or, in a cluster, on any other.
"""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from aiohttp import web

from gazertc.protocol import ErrorCode, ProtocolError

__all__ = [
    "MAX_NODE_NAME_LENGTH",
    "NODE_KEY",
    "NodeState",
    "check_node_name",
    "default_node_name",
]

logger = logging.getLogger(__name__)

MAX_NODE_NAME_LENGTH: Final = 64
"""Node names go into every answer, logs and the balancer's configuration: short and plain."""
_NODE_NAME: Final = re.compile(rf"[A-Za-z0-9._:-]{{1,{MAX_NODE_NAME_LENGTH}}}")
_NOT_IN_NAME: Final = re.compile(r"[^A-Za-z0-9._:-]")


def check_node_name(name: str) -> str:
    """``name`` if it is a usable node name (the schema's ``node_name``).

    Raises:
        ValueError: empty, longer than :data:`MAX_NODE_NAME_LENGTH`, or other characters than
            letters, digits and ``. _ : -``.
    """
    if _NODE_NAME.fullmatch(name) is None:
        raise ValueError(
            f"a node name has 1 to {MAX_NODE_NAME_LENGTH} letters, digits and . _ : - "
            f"(got {name!r})"
        )
    return name


def default_node_name(port: int) -> str:
    """``<hostname>:<port>``, with characters a node name cannot have replaced by ``-``."""
    suffix = f":{port}"
    host = _NOT_IN_NAME.sub("-", socket.gethostname()) or "gazertc"
    return host[: MAX_NODE_NAME_LENGTH - len(suffix)] + suffix


DrainListener = Callable[["NodeState"], None]


@dataclass(slots=True)
class NodeState:
    """This node's name and whether it is draining.

    Attributes:
        name: the node's name (:func:`check_node_name`).
        draining: whether new sessions are refused.
        drain_changed: called with this state after each change of ``draining`` (e.g. the
            cluster registry, which publishes it).
    """

    name: str
    draining: bool = False
    drain_changed: list[DrainListener] = field(default_factory=list)

    def start_drain(self) -> None:
        """Refuse new sessions from now on; the running ones go on."""
        self._set_draining(True)

    def cancel_drain(self) -> None:
        """Take new sessions again."""
        self._set_draining(False)

    def _set_draining(self, draining: bool) -> None:
        if draining == self.draining:
            return
        self.draining = draining
        logger.info("node %s %s", self.name, "draining" if draining else "taking sessions again")
        for listener in list(self.drain_changed):
            listener(self)

    def refuse_if_draining(self) -> None:
        """Raises ProtocolError ``node_draining`` while draining (before a new session)."""
        if self.draining:
            raise ProtocolError(
                ErrorCode.NODE_DRAINING,
                f"this node ({self.name}) is being drained and takes no new sessions; try "
                "again (a load balancer sends you to another node)",
            )


NODE_KEY: Final = web.AppKey("node", NodeState)
