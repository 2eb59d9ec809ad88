"""The vision pipeline: numpy images in, typed records out. No network code lives here."""
