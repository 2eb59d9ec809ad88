"""Recordings: every sample, event, blink, fixation and saccade of a session, kept in SQLite
or, for a cluster, PostgreSQL.

``backend`` (the two databases behind one interface), ``database`` (tables and shared reads),
``store`` and ``writer`` (the store and its writer thread), ``export`` (CSV) and ``bids``
(BIDS eye-tracking physio files), with ``rows``, ``tables``, ``visual_angle`` and
``calibration_reports`` behind them; ``reader`` (:func:`gazertc.read_recording`, for a CSV
export); ``ids`` (short recording ids); ``cli`` (``gazertc export`` and ``gazertc recordings``).
Looking at a recording: ``gaze_columns`` (its samples as numpy columns), ``summary`` and
``replay`` (the ``recording_summary`` and ``recording_replay`` records), ``heatmap`` (heatmap and
scanpath), ``report_svg``, ``report_html`` and ``report_cli`` (``gazertc report``).
"""
