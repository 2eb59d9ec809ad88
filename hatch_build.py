"""Hatchling build hook: put the built web app into the wheel.

The app is built by Vite into ``app/dist``, outside the Python package, and ignored by git. A
regular wheel must carry it (``gazertc serve`` from an installed wheel serves it from
``gazertc/webapp``), so a wheel built without it fails here with the command that fixes it rather
than producing a wheel that serves no page. Editable installs do not copy it: the checkout's
``app/dist`` is served directly, so a rebuild of the app needs no reinstall.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

APP_DIST = "app/dist"
PACKAGED_AS = "gazertc/webapp"


class WebAppHook(BuildHookInterface):  # type: ignore[type-arg]
    """Adds ``app/dist`` to regular (not editable) wheels as ``gazertc/webapp``."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or version == "editable":
            return
        app_dist = Path(self.root) / APP_DIST
        if not (app_dist / "index.html").is_file():
            raise RuntimeError(
                f"{app_dist}/index.html is missing: build the web app first (make app), "
                "or build everything with make dist"
            )
        build_data["force_include"][str(app_dist)] = PACKAGED_AS
