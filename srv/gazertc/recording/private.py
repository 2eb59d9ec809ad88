"""Files and folders readable by their owner only: recordings and their exports are personal
data. Modes are set explicitly, so the umask cannot widen them."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import IO, Final

__all__ = [
    "PRIVATE_DIR_MODE",
    "PRIVATE_FILE_MODE",
    "make_private",
    "open_private",
    "private_directory",
]

logger = logging.getLogger(__name__)

PRIVATE_DIR_MODE: Final = 0o700
"""Only the owner may list or enter the folder."""
PRIVATE_FILE_MODE: Final = 0o600
"""Only the owner may read or write the file."""


def private_directory(directory: Path) -> None:
    """Create ``directory`` (and missing parents) with mode 0700, whatever the umask.

    An existing directory keeps its mode (it may be shared on purpose, like a home folder);
    a warning says when others can list it: the files written into it are private all the same.
    """
    if directory.is_dir():
        if directory.stat().st_mode & 0o077:
            logger.warning(
                "%s can be listed by other users; the files gazertc writes in it are private",
                directory,
            )
        return
    directory.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    directory.chmod(PRIVATE_DIR_MODE)  # mkdir's mode is reduced by the umask


def make_private(path: Path) -> None:
    """Create ``path`` empty with mode 0600 when missing; make an existing file 0600."""
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE)
    try:
        os.fchmod(descriptor, PRIVATE_FILE_MODE)
    finally:
        os.close(descriptor)


def open_private(path: Path, *, newline: str | None = None) -> IO[str]:
    """Open ``path`` for writing text (UTF-8, truncated), with mode 0600 whatever the umask."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    try:
        os.fchmod(descriptor, PRIVATE_FILE_MODE)  # an existing file keeps its mode otherwise
    except OSError:
        os.close(descriptor)
        raise
    return open(descriptor, "w", encoding="utf-8", newline=newline)  # noqa: PTH123
