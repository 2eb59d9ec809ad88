"""Optional parts of gazertc and the pip extras that install them.

The base install (pipeline, command line, server) stays lean; a feature whose library is
missing must say which extra brings it, in one line, rather than end in a traceback. This module is
the one table from import names to extras, used by the commands and by ``gazertc doctor``.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Final

from gazertc.errors import GazertcError

__all__ = [
    "EXTRAS",
    "Extra",
    "MissingExtraError",
    "extra_for",
    "install_command",
    "is_installed",
    "missing_extra_error",
    "require",
]


@dataclass(frozen=True, slots=True)
class Extra:
    """One extra of ``pyproject.toml``: its name, the modules it provides, and what needs it."""

    name: str
    modules: tuple[str, ...]
    needed_by: str


EXTRAS: Final = (
    Extra("lsl", ("pylsl",), "gazertc serve --lsl"),
    Extra("evaluation", ("scipy",), "gazertc evaluate"),
)


class MissingExtraError(GazertcError):
    """A feature needs a library of an extra that is not installed (the message names the extra)."""


def install_command(extra: Extra) -> str:
    """The pip command that adds ``extra`` to an existing install (quoted for any shell)."""
    return f"pip install 'gazertc[{extra.name}]'"


def extra_for(module_name: str | None) -> Extra | None:
    """The extra that provides ``module_name`` (or a submodule of it), if any."""
    if module_name is None:
        return None
    top_level = module_name.split(".", 1)[0]
    return next((extra for extra in EXTRAS if top_level in extra.modules), None)


def is_installed(extra: Extra) -> bool:
    """Whether every module of ``extra`` can be found (without importing it)."""
    return all(importlib.util.find_spec(module) is not None for module in extra.modules)


def _missing(extra: Extra, module: str) -> MissingExtraError:
    return MissingExtraError(
        f"{extra.needed_by} needs the '{extra.name}' extra ({module} is not installed); "
        f"install it with: {install_command(extra)}"
    )


def require(name: str) -> None:
    """Check, before starting, that the extra ``name`` is installed.

    Raises:
        MissingExtraError: a module of the extra cannot be found; the message names the extra.
        KeyError: ``name`` is not an extra of :data:`EXTRAS`.
    """
    extra = next((extra for extra in EXTRAS if extra.name == name), None)
    if extra is None:
        raise KeyError(name)
    for module in extra.modules:
        if importlib.util.find_spec(module) is None:
            raise _missing(extra, module)


def missing_extra_error(error: ModuleNotFoundError) -> MissingExtraError | None:
    """The one-line error for an import that failed because an extra is missing, else ``None``."""
    extra = extra_for(error.name)
    if extra is None or error.name is None:
        return None
    return _missing(extra, error.name)
