"""The rendered-eye SIMULATION's camera: blur, sensor noise and a reproducible VP8 link."""

from __future__ import annotations

import math

import numpy as np

from gazertc.evaluation.rendered.camera import CameraModel, Vp8Link, sensor_frame


def _test_card(width_px: int = 160, height_px: int = 120) -> np.ndarray:
    """A smooth colour gradient with a dark disc: something for a codec to keep."""
    y, x = np.mgrid[0:height_px, 0:width_px]
    image = np.stack([x * 255 // width_px, y * 255 // height_px, np.full_like(x, 128)], axis=-1)
    image[(x - 80) ** 2 + (y - 60) ** 2 < 15**2] = 20
    return image.astype(np.uint8)


def test_the_ideal_camera_changes_nothing() -> None:
    card = _test_card()
    assert np.array_equal(sensor_frame(card, CameraModel(), np.random.default_rng(0)), card)


def test_sensor_noise_has_the_modelled_size_and_is_reproducible() -> None:
    flat = np.full((120, 160, 3), 100, dtype=np.uint8)
    camera = CameraModel(read_noise_dn=2.0, shot_noise_gain=0.15)
    first = sensor_frame(flat, camera, np.random.default_rng(7))
    again = sensor_frame(flat, camera, np.random.default_rng(7))
    other = sensor_frame(flat, camera, np.random.default_rng(8))
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    expected_sigma = math.sqrt(2.0**2 + 0.15 * 100)
    assert abs(first.astype(float).std() - expected_sigma) < 0.1 * expected_sigma


def test_the_vp8_link_keeps_the_picture_and_gives_the_same_frames_every_run() -> None:
    card = _test_card()
    camera = CameraModel(read_noise_dn=2.0, shot_noise_gain=0.15)

    def stream() -> list[np.ndarray]:
        link, rng = Vp8Link(160, 120, 300_000), np.random.default_rng(1)
        return [link.send(sensor_frame(card, camera, rng)) for _ in range(6)]

    first, again = stream(), stream()
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert all(frame.shape == card.shape for frame in first)
    assert np.abs(first[-1].astype(float) - card).mean() < 8.0
