"""The live sessions of one server, bounded in number."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

from gazertc.server.session import Session

__all__ = ["SessionRegistry"]


class SessionRegistry:
    """The live sessions of one server, at most ``max_sessions`` of them."""

    def __init__(self, max_sessions: int) -> None:
        if max_sessions < 1:
            raise ValueError(f"max_sessions must be at least 1, got {max_sessions}")
        self.max_sessions = max_sessions
        self._sessions: dict[str, Session] = {}

    def __len__(self) -> int:
        return len(self._sessions)

    def __iter__(self) -> Iterator[Session]:
        return iter(list(self._sessions.values()))

    @property
    def full(self) -> bool:
        return len(self._sessions) >= self.max_sessions

    def get(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    def add(self, session: Session) -> None:
        """Raises ``RuntimeError`` when full: check :attr:`full` first."""
        if self.full:
            raise RuntimeError(f"the registry already holds {self.max_sessions} sessions")
        self._sessions[session.session_id] = session

    def remove(self, session: Session) -> None:
        self._sessions.pop(session.session_id, None)

    async def close_all(self, reason: str, timeout_s: float) -> list[Session]:
        """Close every session at once; returns those still closing after ``timeout_s``.

        Those are cancelled: a plain ``wait_for`` around ``gather`` would leave the cancelled
        gather's exception unretrieved, and asyncio would log it with a traceback.
        """
        closing = {asyncio.ensure_future(session.close(reason)): session for session in self}
        if not closing:
            return []
        _, pending = await asyncio.wait(closing, timeout=timeout_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*closing, return_exceptions=True)
        return [closing[task] for task in pending]
