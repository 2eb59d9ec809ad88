"""Where this gazertc finds the built web app, whether installed from a wheel or run from a clone.

A wheel carries the app inside the package (``gazertc/webapp``, put there by ``hatch_build.py``);
a checkout has it in ``app/dist`` after ``make app``. ``gazertc serve`` and ``gazertc doctor`` ask
here, so both agree on which copy is served and how to fix a missing one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

__all__ = ["CHECKOUT_APP_DIR", "PACKAGED_APP_DIR", "app_dir", "app_fix", "app_problems"]

PACKAGED_APP_DIR: Final = Path(__file__).resolve().with_name("webapp")
CHECKOUT_APP_DIR: Final = Path(__file__).resolve().parents[2] / "app" / "dist"

_ASSET_REFERENCE = re.compile(r"""(?:src|href)="/([^"#?]+)\"""")


def app_dir() -> Path | None:
    """The built app to serve at ``/``: the wheel's copy, else the checkout's; ``None`` if neither.

    The wheel's copy comes first because it matches the installed code; in a checkout (editable
    install) there is none, and ``app/dist`` is what ``make app`` keeps up to date.
    """
    for candidate in (PACKAGED_APP_DIR, CHECKOUT_APP_DIR):
        if (candidate / "index.html").is_file():
            return candidate
    return None


def app_problems(directory: Path) -> list[str]:
    """What is wrong with a built app folder: no ``index.html``, or files it references missing."""
    index = directory / "index.html"
    if not index.is_file():
        return [f"{index} is missing"]
    html = index.read_text(encoding="utf-8", errors="replace")
    return [
        f"{directory / reference} (referenced by index.html) is missing"
        for reference in _ASSET_REFERENCE.findall(html)
        if not (directory / reference).is_file()
    ]


def app_fix() -> str:
    """The command that provides the app here: rebuild in a checkout, reinstall a wheel."""
    if CHECKOUT_APP_DIR.parent.joinpath("package.json").is_file():
        return "make app (in the checkout)"
    return "pip install --force-reinstall gazertc (the wheel carries the app)"
