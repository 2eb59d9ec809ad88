"""Model files: found where the manifest says, verified, and a clear error naming the fix."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gazertc import models
from gazertc.errors import ModelFileError


def test_every_manifest_entry_is_present_and_verified() -> None:
    for name, entry in models.load_manifest().items():
        path = models.locate(name)
        assert path.name == name
        assert path.stat().st_size == entry.size_bytes


def test_missing_extracted_model_names_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GAZERTC_MODEL_DIR", str(tmp_path))
    with pytest.raises(ModelFileError, match=r"not found .*; fix: gazertc models fetch$"):
        models.locate(models.IRIS_LANDMARK)


def test_corrupt_model_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    original = models.locate(models.IRIS_LANDMARK)
    copy = tmp_path / original.name
    shutil.copyfile(original, copy)
    monkeypatch.setenv("GAZERTC_MODEL_DIR", str(tmp_path))
    assert models.locate(models.IRIS_LANDMARK) == copy
    payload = bytearray(copy.read_bytes())
    payload[len(payload) // 2] ^= 0xFF
    copy.write_bytes(bytes(payload))
    with pytest.raises(ModelFileError, match="corrupt"):
        models.locate(models.IRIS_LANDMARK)


def test_unknown_model_name() -> None:
    with pytest.raises(ModelFileError, match="not in the model manifest"):
        models.locate("no_such_model.bin")


def test_check_command_reports_each_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert models.main(["check"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in models.load_manifest())
