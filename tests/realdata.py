"""Where the real data lives, and a skip that says exactly what is missing."""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from gazertc.vision.types import BgrImage

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def data_dir() -> Path:
    """``$GAZERTC_DATA``, else ``../shared/data`` beside the repository."""
    return Path(os.environ.get("GAZERTC_DATA", DEFAULT_DATA_DIR))


def data_file(relative: str) -> Path:
    """A file of the shared data set; the calling test is skipped, saying so, when it is absent."""
    path = data_dir() / relative
    if not path.exists():
        pytest.skip(f"real data not available: {path} is absent (set GAZERTC_DATA)")
    return path


def read_bgr(relative: str) -> BgrImage:
    """A colour image of the shared data set (skipping the test when it is absent)."""
    image = cv2.imread(str(data_file(relative)), cv2.IMREAD_COLOR)
    assert image is not None, f"{relative} is not a readable image"
    return np.asarray(image, np.uint8)
