"""The package root is the public surface: everything it exports is listed, sorted, and real."""

from __future__ import annotations

import gazertc


def test_all_is_sorted_and_complete() -> None:
    public = {name for name in vars(gazertc) if not name.startswith("_")}
    modules = {name for name in public if type(getattr(gazertc, name)).__name__ == "module"}
    assert gazertc.__all__ == sorted(gazertc.__all__)
    assert set(gazertc.__all__) - {"__version__"} == public - modules
    for name in gazertc.__all__:
        assert getattr(gazertc, name) is not None
