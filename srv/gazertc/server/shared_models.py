"""The landmark model, loaded once and shared by every pipeline worker (copy-on-write).

dlib's 68-point shape predictor is ~100 MB of heap once loaded, and each worker used to load its
own copy. The pool starts its workers from a ``forkserver`` that imports this module first
(``set_forkserver_preload``): the model is loaded here, at import, in the fork server, and every
worker forked from it reads the same physical pages. dlib only reads the model while fitting,
so the pages stay shared (``bench/server.py`` measures each worker's PSS).

Importing this module loads the model: only the fork server and the workers import it. A model
that fails to load here is left to the worker, whose own load then fails with the real error.
"""

from __future__ import annotations

import logging
from typing import Any

from gazertc import models
from gazertc.errors import ModelFileError
from gazertc.vision.landmarks import LandmarkPredictor

__all__ = ["SharedLandmarkPredictor", "preloaded_landmark_model"]

logger = logging.getLogger(__name__)


def _load_landmark_model() -> Any:
    try:
        import dlib  # noqa: PLC0415  (heavy native module, loaded with the model)

        return dlib.shape_predictor(str(models.locate(models.LANDMARKS_68)))
    except (ModelFileError, RuntimeError, ImportError) as exc:
        logger.warning("the shared landmark model did not load: %s", exc)
        return None


_LANDMARK_MODEL: Any = _load_landmark_model()


def preloaded_landmark_model() -> Any:
    """The dlib shape predictor loaded at import (``None`` when it failed to load)."""
    return _LANDMARK_MODEL


class SharedLandmarkPredictor(LandmarkPredictor):
    """A :class:`LandmarkPredictor` that uses the model loaded at import, when there is one."""

    def _load(self) -> Any:
        model = preloaded_landmark_model()
        return model if model is not None else super()._load()
