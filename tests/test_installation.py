"""What an install without its optional parts, or without its model files, says: one line naming
the fix. Also the version's single source and where the web app is looked for."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

import gazertc
from gazertc import extras, installation
from gazertc.cli import main

REPO = Path(__file__).resolve().parents[1]


def _without(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """Make ``modules`` unimportable, and forget gazertc modules that imported them."""
    for name in list(sys.modules):
        if name.startswith("gazertc.evaluation"):
            monkeypatch.delitem(sys.modules, name)
    for module in modules:
        for name in [m for m in sys.modules if m == module or m.startswith(module + ".")]:
            monkeypatch.delitem(sys.modules, name)
        monkeypatch.setitem(sys.modules, module, None)  # import raises ModuleNotFoundError


def _one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


def test_version_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"gazertc {gazertc.__version__}\n"


def test_version_is_written_once_in_the_form_the_builds_read() -> None:
    # hatchling ([tool.hatch.version]) and app/vite.config.ts both read this one line.
    text = (REPO / "srv" / "gazertc" / "__init__.py").read_text(encoding="utf-8")
    assert re.findall(r'^__version__ = "([^"]+)"$', text, re.MULTILINE) == [gazertc.__version__]
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject
    assert not re.search(r"^version\s*=", pyproject, re.MULTILINE)


def test_evaluate_without_scipy_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _without(monkeypatch, "scipy")
    status = main(["evaluate", "--dataset", "columbia", "somewhere"])
    assert status == 2
    line = _one_line_error(capsys)
    assert "'evaluation' extra" in line
    assert line.endswith("pip install 'gazertc[evaluation]'")


def test_serve_lsl_without_pylsl_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    _without(monkeypatch, "pylsl")
    status = main(["serve", "--lsl", "--port", "0", "--data-dir", str(tmp_path / "data")])
    assert status == 2
    assert _one_line_error(capsys).endswith("pip install 'gazertc[lsl]'")
    assert not (tmp_path / "data").exists()  # refused before doing anything


def test_serve_without_models_says_which_command_fixes_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("GAZERTC_MODEL_DIR", str(tmp_path))
    status = main(["serve", "--port", "0", "--data-dir", str(tmp_path / "data")])
    assert status == 2
    line = _one_line_error(capsys)
    assert line.startswith("gazertc: error: model file iris_landmark.tflite not found")
    assert line.endswith("fix: gazertc models fetch")


def test_every_extra_is_declared_in_pyproject() -> None:
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    for extra in extras.EXTRAS:
        assert re.search(rf"^{extra.name} = \[", pyproject, re.MULTILINE), extra.name
    assert extras.extra_for("scipy.io") == extras.EXTRAS[1]
    assert extras.extra_for("numpy") is None


def test_packaged_app_comes_before_the_checkout(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    packaged, checkout = tmp_path / "webapp", tmp_path / "dist"
    monkeypatch.setattr(installation, "PACKAGED_APP_DIR", packaged)
    monkeypatch.setattr(installation, "CHECKOUT_APP_DIR", checkout)
    assert installation.app_dir() is None
    checkout.mkdir()
    (checkout / "index.html").write_text("", encoding="utf-8")
    assert installation.app_dir() == checkout
    packaged.mkdir()
    (packaged / "index.html").write_text("", encoding="utf-8")
    assert installation.app_dir() == packaged
