"""gazertc: webcam gaze estimation, as a library, a command line and a WebRTC server.

The public surface is re-exported here; everything else may change between versions.
"""

from gazertc.errors import GazertcError, InputError, ModelFileError
from gazertc.recording.reader import RecordingTables, read_recording
from gazertc.vision.calibration import CalibrationError, CalibrationModel, ScreenMismatchError
from gazertc.vision.headpose import CameraIntrinsics
from gazertc.vision.screen import ScreenGeometry
from gazertc.vision.tracker import GazeTracker, PipelineModels, TrackerSettings, estimate
from gazertc.vision.types import (
    BlinkEvent,
    BlinkPhase,
    EyeObservation,
    EyeSide,
    FaceBox,
    FrameQuality,
    GazeDirection,
    GazeSample,
    HeadPose,
    QualityFlag,
    TrackingState,
)

__version__ = "0.1.0"

__all__ = [
    "BlinkEvent",
    "BlinkPhase",
    "CalibrationError",
    "CalibrationModel",
    "CameraIntrinsics",
    "EyeObservation",
    "EyeSide",
    "FaceBox",
    "FrameQuality",
    "GazeDirection",
    "GazeSample",
    "GazeTracker",
    "GazertcError",
    "HeadPose",
    "InputError",
    "ModelFileError",
    "PipelineModels",
    "QualityFlag",
    "RecordingTables",
    "ScreenGeometry",
    "ScreenMismatchError",
    "TrackerSettings",
    "TrackingState",
    "__version__",
    "estimate",
    "read_recording",
]
