"""Lab Streaming Layer outlets, so that gaze lines up with EEG and other streams in LabRecorder.

With ``gazertc serve --lsl`` every session publishes two outlets (one pair per session rather
than one shared outlet with a session channel: a session id does not fit a numeric channel,
and LabRecorder lists, selects and records each participant's streams by name):

``gazertc gaze <session id[:8]>``, type ``Gaze``
    :data:`GAZE_CHANNELS`, as ``double64``, a missing value NaN; each channel's ``label``,
    ``description`` and ``unit`` are in the stream's ``channels`` metadata. In order
    (channel index, label, unit)::

        0   frame_id                   -        frames received in the session, from 0
        1   face_found                 -        1 when a face was found, else 0
        2   gaze_yaw_deg               degrees  gaze direction, + towards the image's right
        3   gaze_pitch_deg             degrees  gaze direction, + up
        4   head_yaw_deg               degrees  head pose, + towards the image's right
        5   head_pitch_deg             degrees  + up
        6   head_roll_deg              degrees  + clockwise in the image
        7   right_iris_x_px            pixels   iris centres in the camera frame, y down
        8   right_iris_y_px            pixels
        9   left_iris_x_px             pixels
        10  left_iris_y_px             pixels
        11  right_eye_openness         -        lid gap over eye width (open 0.25-0.4)
        12  left_eye_openness          -
        13  blinking                   -        1 during a blink
        14  screen_x_css_px            pixels   calibrated screen point, CSS pixels from the
        15  screen_y_css_px            pixels   screen's top-left corner, y down
        16  screen_smoothed_x_css_px   pixels   the same after the One Euro filter
        17  screen_smoothed_y_css_px   pixels
        18  right_eye_valid            -        1 when the eye is open with an iris centre
        19  left_eye_valid             -

    The screen channels are NaN until the session is calibrated and on frames that give no
    point. "Right"/"left" are the subject's eyes. The channels are the exports' sample columns
    (:data:`gazertc.records.SAMPLE_COLUMNS`) without the capture time, so an export's column
    and the XDF channel of one name hold the same values; new channels are only ever appended
    (``docs/lsl.md``). Nominal rate 0 (irregular): the server drops frames under load and
    cameras vary their rate, so each sample carries its own exact time instead. ``source_id``
    ``gazertc:<session id>:gaze``.
``gazertc markers <session id[:8]>``, type ``Markers``
    one ``string`` channel, irregular; each marker is a compact JSON object shaped like the
    protocol message it mirrors: ``{"type": "event", ...stored_event}``,
    ``{"type": "blink", "phase", "timestamp_unix_ns", "duration_ms"}``, and the ``fixation`` /
    ``saccade`` messages. ``source_id`` ``gazertc:<session id>:markers``.

Timestamps are the LSL clock (``pylsl.local_clock()``, seconds) equivalent of the capture time
(``timestamp_unix_ns``, the server's wall clock), so a sample is stamped when its frame was
taken, not when it was processed; events use their own time, fixations and saccades their start
(fixation ``end`` markers their end). :class:`ClockMapping` measures the offset between the two
clocks and refreshes it every second, following wall-clock adjustments.

pylsl is imported only by :meth:`LslPublisher.load`. Pushing a sample costs about 5 µs (measured
here) and never waits for inlets, so it runs on the event loop; opening (~3 ms) and closing
(~50 ms with an inlet connected) outlets do not, and run in a thread.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import gazertc
from gazertc import protocol
from gazertc.errors import GazertcError
from gazertc.records import (
    SAMPLE_COLUMNS,
    Column,
    FixationEvent,
    FixationPhase,
    OculomotorEvent,
    SampleMessage,
    StoredEvent,
    sample_columns,
)

__all__ = [
    "GAZE_CHANNELS",
    "GAZE_STREAM_TYPE",
    "MARKER_STREAM_TYPE",
    "ClockMapping",
    "LslError",
    "LslLink",
    "LslPublisher",
    "SessionOutlets",
    "gaze_channel_values",
]

logger = logging.getLogger(__name__)

GAZE_STREAM_TYPE: Final = "Gaze"
MARKER_STREAM_TYPE: Final = "Markers"
GAZE_CHANNELS: Final[tuple[Column, ...]] = SAMPLE_COLUMNS[1:]
"""The gaze outlet's channels: the samples' columns without the capture time (the LSL timestamp
carries it)."""
IRREGULAR_RATE_HZ: Final = 0.0
CLOCK_REFRESH_S: Final = 1.0
"""How often the LSL-minus-wall-clock offset is measured again (wall clocks get slewed by NTP)."""
CLOCK_READS: Final = 3
"""Offset measurements per refresh; the tightest bracket wins (the least preempted)."""
NS_PER_S: Final = 1_000_000_000
_XDF_UNITS: Final = {"deg": "degrees", "pixel": "pixels"}
"""The unit names XDF importers expect for the columns' units."""


class LslError(GazertcError):
    """pylsl cannot be loaded, or an outlet cannot be created (the message says why)."""


class ClockMapping:
    """Converts wall-clock times (ns since the Unix epoch) to the LSL clock (seconds).

    Args:
        lsl_clock_s: the LSL clock, ``pylsl.local_clock``.
    """

    def __init__(self, lsl_clock_s: Callable[[], float]) -> None:
        self._lsl_clock_s = lsl_clock_s
        self._offset_s = 0.0
        self._measured_s = -math.inf

    def _measure(self) -> float:
        best: tuple[int, float] | None = None
        for _ in range(CLOCK_READS):
            before_ns = time.time_ns()
            lsl_s = self._lsl_clock_s()
            after_ns = time.time_ns()
            bracket_ns = after_ns - before_ns
            offset_s = lsl_s - (before_ns + bracket_ns / 2) / NS_PER_S
            if best is None or bracket_ns < best[0]:
                best = (bracket_ns, offset_s)
        assert best is not None
        return best[1]

    def lsl_seconds(self, timestamp_unix_ns: int) -> float:
        """``timestamp_unix_ns`` on the LSL clock, in seconds."""
        now_s = time.monotonic()
        if now_s - self._measured_s >= CLOCK_REFRESH_S:
            self._offset_s = self._measure()
            self._measured_s = now_s
        return timestamp_unix_ns / NS_PER_S + self._offset_s


def gaze_channel_values(message: SampleMessage) -> list[float]:
    """One sample as the gaze outlet's channel values, in :data:`GAZE_CHANNELS` order (NaN
    where a value is missing)."""
    return [math.nan if value is None else float(value) for value in sample_columns(message)[1:]]


class SessionOutlets:
    """The gaze and marker outlets of one session (made by :meth:`LslPublisher.open_session`).

    The ``push_*`` methods are cheap and safe on the event loop; :meth:`close` is not (it joins
    liblsl's threads): call it in a thread.
    """

    def __init__(self, gaze: Any, markers: Any, clock: ClockMapping) -> None:
        self._gaze = gaze
        self._markers = markers
        self._clock = clock
        self._closed = False
        self.samples_pushed = 0
        self.markers_pushed = 0

    def on_sample(self, message: SampleMessage, text: str) -> None:
        """Push one sample, and a marker for each of its blink events (``text`` is unused: the
        outlet takes numbers)."""
        if self._closed:
            return
        sample = message.sample
        self._gaze.push_sample(
            gaze_channel_values(message), self._clock.lsl_seconds(sample.timestamp_unix_ns)
        )
        self.samples_pushed += 1
        for blink in sample.blink_events:
            self.push_marker({"type": "blink", **blink.to_dict()}, blink.timestamp_unix_ns)

    def on_event(self, event: StoredEvent) -> None:
        """Push a marked event at its own time."""
        self.push_marker({"type": "event", **event.to_dict()}, event.timestamp_unix_ns)

    def on_oculomotor(self, event: OculomotorEvent) -> None:
        """Push a fixation or saccade at its start, or a fixation ``end`` at its end."""
        timestamp_unix_ns = event.start_unix_ns
        if (
            isinstance(event, FixationEvent)
            and event.phase is FixationPhase.END
            and event.end_unix_ns is not None
        ):
            timestamp_unix_ns = event.end_unix_ns
        self.push_marker(protocol.make_oculomotor(event), timestamp_unix_ns)

    def push_marker(self, marker: Mapping[str, Any], timestamp_unix_ns: int) -> None:
        """Push one marker (a JSON object) stamped ``timestamp_unix_ns``."""
        if self._closed:
            return
        self._markers.push_sample(
            [json.dumps(marker, separators=(",", ":"))],
            self._clock.lsl_seconds(timestamp_unix_ns),
        )
        self.markers_pushed += 1

    def close(self) -> None:
        """Withdraw both outlets (blocks for up to ~0.1 s; idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._gaze = self._markers = None


@dataclass(frozen=True, slots=True)
class LslPublisher:
    """Makes each session's outlets. Build it with :meth:`load`.

    Attributes:
        pylsl: the loaded ``pylsl`` module.
    """

    pylsl: Any

    @classmethod
    def load(cls) -> LslPublisher:
        """Import pylsl (and with it liblsl).

        Raises:
            LslError: pylsl is not installed or its liblsl cannot be loaded.
        """
        try:
            module = importlib.import_module("pylsl")
        except (ImportError, OSError, RuntimeError) as exc:
            raise LslError(
                f"--lsl needs pylsl with a working liblsl ({type(exc).__name__}: {exc}); "
                "install the lsl extra with: pip install 'gazertc[lsl]'"
            ) from exc
        return cls(module)

    def _info(self, name: str, stream_type: str, channels: int, fmt: Any, source_id: str) -> Any:
        return self.pylsl.StreamInfo(name, stream_type, channels, IRREGULAR_RATE_HZ, fmt, source_id)

    def _outlets(self, session_id: str) -> tuple[Any, Any]:
        pylsl = self.pylsl
        short_id = session_id[:8]
        gaze_info = self._info(
            f"gazertc gaze {short_id}",
            GAZE_STREAM_TYPE,
            len(GAZE_CHANNELS),
            pylsl.cf_double64,
            f"gazertc:{session_id}:gaze",
        )
        marker_info = self._info(
            f"gazertc markers {short_id}",
            MARKER_STREAM_TYPE,
            1,
            pylsl.cf_string,
            f"gazertc:{session_id}:markers",
        )
        for info in (gaze_info, marker_info):
            description = info.desc()
            description.append_child_value("session_id", session_id)
            description.append_child_value("software", f"gazertc {gazertc.__version__}")
            description.append_child_value("protocol_version", str(protocol.PROTOCOL_VERSION))
            description.append_child_value(
                "timestamps", "capture time (timestamp_unix_ns) converted to the LSL clock"
            )
        channels = gaze_info.desc().append_child("channels")
        for column in GAZE_CHANNELS:
            channel = channels.append_child("channel")
            channel.append_child_value("label", column.name)
            channel.append_child_value("description", column.description)
            if column.units is not None:
                channel.append_child_value("unit", _XDF_UNITS.get(column.units, column.units))
        markers_channel = marker_info.desc().append_child("channels").append_child("channel")
        markers_channel.append_child_value("label", "marker_json")
        return pylsl.StreamOutlet(gaze_info), pylsl.StreamOutlet(marker_info)

    def open_session(self, session_id: str) -> SessionOutlets:
        """Create the two outlets of one session (blocks for a few ms: call it in a thread).

        Raises:
            LslError: liblsl refused to create an outlet.
        """
        try:
            gaze, markers = self._outlets(session_id)
        except (RuntimeError, OSError, ValueError) as exc:
            raise LslError(f"cannot create LSL outlets for session {session_id}: {exc}") from exc
        logger.info("session %s: LSL outlets open", session_id)
        return SessionOutlets(gaze, markers, ClockMapping(self.pylsl.local_clock))


class LslLink:
    """One session's outlets: opened off the event loop when the session starts (a few ms of
    liblsl work), closed in a thread when it ends (joining liblsl's threads takes ~50 ms with an
    inlet connected). Until the outlets are open, events and markers are not published.

    Args:
        publisher: makes the outlets.
        session_id: whose outlets.
        on_open: called on the loop with the outlets once they are open (the session adds them
            to its sample sinks).
    """

    def __init__(
        self,
        publisher: LslPublisher,
        session_id: str,
        on_open: Callable[[SessionOutlets], None],
    ) -> None:
        self._session_id = session_id
        self._on_open = on_open
        self._outlets: SessionOutlets | None = None
        self._opening: asyncio.Future[SessionOutlets] | None = (
            asyncio.get_running_loop().run_in_executor(None, publisher.open_session, session_id)
        )
        self._opening.add_done_callback(self._opened)

    def _opened(self, opening: asyncio.Future[SessionOutlets]) -> None:
        if opening.cancelled() or self._opening is None:
            return
        exc = opening.exception()
        if exc is not None:
            logger.error("session %s: no LSL outlets: %s", self._session_id[:8], exc)
            return
        self._outlets = opening.result()
        self._on_open(self._outlets)

    def on_event(self, event: StoredEvent) -> None:
        if self._outlets is not None:
            self._outlets.on_event(event)

    def on_oculomotor(self, event: OculomotorEvent) -> None:
        if self._outlets is not None:
            self._outlets.on_oculomotor(event)

    async def close(self) -> None:
        """Withdraw the outlets (idempotent)."""
        opening, self._opening = self._opening, None
        self._outlets = None
        if opening is None:
            return
        try:
            outlets = await opening
        except LslError:
            return
        await asyncio.to_thread(outlets.close)
