"""Peer pipelines timed against gazertc's; each runs in its own environment (``.venv-peers``)."""
