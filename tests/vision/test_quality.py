from __future__ import annotations

import numpy as np

from gazertc.vision.quality import assess_quality
from gazertc.vision.types import FaceBox, QualityFlag

CENTRED = FaceBox(400.0, 200.0, 700.0, 500.0)


def _frame(level: int, noise: float) -> np.ndarray:
    rng = np.random.default_rng(0)
    image = rng.normal(level, noise, size=(720, 1280))
    return np.clip(image, 0, 255).astype(np.uint8)


def test_well_lit_centred_face_has_no_flags() -> None:
    quality = assess_quality(_frame(120, 40), CENTRED)
    assert quality.flags == ()
    assert quality.face_width_px == 300.0
    assert quality.face_brightness is not None and abs(quality.face_brightness - 120) < 2
    assert quality.face_contrast is not None and abs(quality.face_contrast - 40) < 2


def test_dark_flat_small_face_at_the_edge() -> None:
    quality = assess_quality(_frame(30, 5), FaceBox(0.0, 300.0, 80.0, 380.0))
    assert set(quality.flags) == {
        QualityFlag.TOO_DARK,
        QualityFlag.LOW_CONTRAST,
        QualityFlag.TOO_FAR,
        QualityFlag.FACE_AT_EDGE,
    }


def test_bright_close_face() -> None:
    quality = assess_quality(_frame(235, 30), FaceBox(150.0, 30.0, 1130.0, 700.0))
    assert QualityFlag.TOO_BRIGHT in quality.flags
    assert QualityFlag.TOO_CLOSE in quality.flags


def test_no_face_has_no_numbers() -> None:
    quality = assess_quality(_frame(120, 40), None)
    assert (quality.face_brightness, quality.face_width_px, quality.flags) == (None, None, ())
