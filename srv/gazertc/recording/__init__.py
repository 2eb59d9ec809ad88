"""Recordings: every sample, event, blink, fixation and saccade of a session, kept in SQLite.

``store`` (the writer thread and its records), ``export`` (CSV and BIDS-style TSV), ``cli``
(the ``gazertc export`` command).
"""
