"""A SIMULATION: eyes with a known gaze rendered into real faces, to measure gazertc's chain
from pixels to degrees where no real data with gaze ground truth is at hand.

Every figure these modules produce is measured on synthetic eyes (a ray-traced eyeball placed
behind the eyelids of real photographs), not on real eyes. It says how precisely and how
consistently the pipeline turns iris pixels into degrees; it does not say how accurate gazertc
is on people.

Modules: :mod:`~gazertc.evaluation.rendered.eyeball` (the 3D eye and its ray tracer),
:mod:`~gazertc.evaluation.rendered.iris_texture` (a procedural iris),
:mod:`~gazertc.evaluation.rendered.faces` (the real faces, placed for a camera),
:mod:`~gazertc.evaluation.rendered.render` (eyes behind the real lids),
:mod:`~gazertc.evaluation.rendered.camera` (blur, sensor noise, VP8),
:mod:`~gazertc.evaluation.rendered.benchmark` (conditions, gazes, streams through the pipeline),
:mod:`~gazertc.evaluation.rendered.measures` (calibration map, error, precision, px per degree),
:mod:`~gazertc.evaluation.rendered.screen_calibration` (gazertc's own calibration on the frames),
:mod:`~gazertc.evaluation.rendered.head_motion` (errors with the head moved after calibration),
:mod:`~gazertc.evaluation.rendered.summary` (a summary per condition) and
:mod:`~gazertc.evaluation.rendered.results` (the records it reports).
"""

SIMULATION_NOTE = (
    "SIMULATION: rendered eyes with a known gaze in real faces; not a measurement on real eyes"
)
"""The label every table, record and document of this package carries."""

__all__ = ["SIMULATION_NOTE"]
