"""Analyses of gaze sample streams (no network code): fixation and saccade detection."""
