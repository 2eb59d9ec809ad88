"""The WebRTC server: signalling over HTTP, video in, gaze samples and annotated video out.

``app`` (create_app, ServerConfig), ``session`` (one peer), ``tracks`` (frames meet the
pipeline), ``pool`` (worker processes), ``signalling`` (offer checks), ``cli`` (the ``serve``
command). Nothing is imported here, so ``gazertc --help`` does not pay for importing aiortc.
"""
