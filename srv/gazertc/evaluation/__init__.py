"""Accuracy evaluation against annotated data: loaders, matching and error measures."""
