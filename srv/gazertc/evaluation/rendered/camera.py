"""What a webcam and a WebRTC link do to the rendered-eye SIMULATION's frames: optical blur,
sensor noise and VP8 compression.

The compression is real VP8: libvpx through PyAV (the library aiortc receives video with), in
its real-time mode at a WebRTC-like bit rate, one continuous stream per face and condition, so
that frames after the first are inter frames predicted from the previous one, as in a call.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Final

import av
import cv2
import numpy as np

from gazertc.vision.types import BgrImage

__all__ = ["FRAME_RATE_HZ", "CameraModel", "Vp8Link", "sensor_frame"]

FRAME_RATE_HZ: Final = 30
"""A webcam's usual frame rate; sets the bits each frame of the VP8 stream gets."""

VP8_CPU_USED: Final = -6
"""libvpx ``cpu-used`` in real-time mode: speed 6, near what WebRTC's VP8 encoder uses on
desktops. Negative means a fixed speed; a positive value lets libvpx adapt the speed to the
wall-clock time it measures, which makes runs differ from one another on a busy machine."""


@dataclass(frozen=True, slots=True)
class CameraModel:
    """How a frame is degraded. All zero / ``None``: the rendered frame exactly.

    ``blur_sigma_px`` is the Gaussian blur of lens and demosaicking; the noise of each channel
    has the standard deviation ``sqrt(read_noise_dn**2 + shot_noise_gain * level)`` in 8-bit
    levels (read noise plus photon shot noise); ``vp8_bitrate_bps`` is the VP8 stream's target
    bit rate, ``None`` for no compression.
    """

    blur_sigma_px: float = 0.0
    read_noise_dn: float = 0.0
    shot_noise_gain: float = 0.0
    vp8_bitrate_bps: int | None = None

    @property
    def is_ideal(self) -> bool:
        return (
            self.blur_sigma_px == 0.0
            and self.read_noise_dn == 0.0
            and self.shot_noise_gain == 0.0
            and self.vp8_bitrate_bps is None
        )


def sensor_frame(frame: BgrImage, camera: CameraModel, rng: np.random.Generator) -> BgrImage:
    """The frame after the lens blur and with fresh sensor noise (before any compression)."""
    image = frame.astype(np.float32)
    if camera.blur_sigma_px > 0.0:
        image = np.asarray(cv2.GaussianBlur(image, (0, 0), camera.blur_sigma_px), np.float32)
    if camera.read_noise_dn > 0.0 or camera.shot_noise_gain > 0.0:
        # OpenCV's generator, seeded from ``rng``: several times faster than numpy's here.
        cv2.setRNGSeed(int(rng.integers(2**31 - 1)))
        noise = np.empty((image.shape[0], image.size // image.shape[0]), np.float32)
        cv2.randn(noise, np.zeros(1), np.ones(1))
        noise = noise.reshape(image.shape)
        image += np.sqrt(camera.read_noise_dn**2 + camera.shot_noise_gain * image) * noise
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


class Vp8Link:
    """A VP8 encoder and decoder in series: frames in, what the far end decodes out.

    Frames must all have the size given; each is encoded as the next frame of one stream.
    """

    def __init__(self, width_px: int, height_px: int, bitrate_bps: int) -> None:
        self._encoder = av.CodecContext.create("libvpx", "w")
        self._encoder.width = width_px
        self._encoder.height = height_px
        self._encoder.pix_fmt = "yuv420p"
        self._encoder.bit_rate = bitrate_bps
        self._encoder.framerate = Fraction(FRAME_RATE_HZ, 1)
        self._encoder.time_base = Fraction(1, FRAME_RATE_HZ)
        self._encoder.thread_count = 1
        # Real time, no look-ahead: a live call cannot wait for later frames.
        self._encoder.options = {
            "deadline": "realtime",
            "cpu-used": str(VP8_CPU_USED),
            "lag-in-frames": "0",
        }
        self._decoder = av.CodecContext.create("vp8", "r")
        self._pts = 0

    def send(self, frame: BgrImage) -> BgrImage:
        """Encode the frame, decode what was sent and return it.

        Raises:
            RuntimeError: the codec returned no frame (it does not with these settings).
        """
        video_frame = av.VideoFrame.from_ndarray(frame, format="bgr24")
        video_frame.pts = self._pts
        self._pts += 1
        decoded: BgrImage | None = None
        for packet in self._encoder.encode(video_frame):
            for output in self._decoder.decode(packet):
                decoded = np.asarray(output.to_ndarray(format="bgr24"), np.uint8)
        if decoded is None:
            raise RuntimeError("the VP8 link returned no frame")
        return decoded
