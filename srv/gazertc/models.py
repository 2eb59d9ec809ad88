"""Model files: where they come from, where they live, and that they are intact.

The manifest (``models/manifest.json`` in the repository) lists each file with its sha256 and the
PyPI package that ships it. Files inside an installed package are used where they lie; files that
come inside a package we do not install (the MediaPipe iris network) are extracted once by
``gazertc models fetch`` into :func:`model_dir`, a per-user cache: an installed wheel has no
writable place of its own, and one copy serves every environment (checkout or wheel) of the user.

Nothing here runs at import time: :func:`locate` is called by the code that loads a model, the
first time it needs it.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import logging
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from gazertc.errors import ModelFileError

__all__ = [
    "DERIVED_DIGEST_SUFFIX",
    "FETCH_COMMAND",
    "IRIS_INT8_BUILD_COMMAND",
    "DerivedModelFile",
    "ModelFile",
    "fetch",
    "load_derived",
    "load_manifest",
    "locate",
    "locate_derived",
    "model_dir",
    "problems",
]

logger = logging.getLogger(__name__)

LANDMARKS_68 = "shape_predictor_68_face_landmarks.dat"
IRIS_LANDMARK = "iris_landmark.tflite"
FETCH_COMMAND = "gazertc models fetch"
"""The command that extracts the model files; every message about a missing file names it."""
IRIS_LANDMARK_INT8 = "iris_landmark_int8.tflite"
IRIS_INT8_BUILD_COMMAND = "make iris-int8"
"""Builds the derived int8 iris network (gazertc.vision.iris_quantize) from the float file."""

_REPO_MANIFEST = Path(__file__).resolve().parents[2] / "models" / "manifest.json"
_WHEEL_MANIFEST = Path(__file__).with_name("_manifest.json")
_HASH_CHUNK_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class ModelFile:
    """One entry of the manifest."""

    name: str
    sha256: str
    size_bytes: int
    package: str
    path_in_package: str

    @property
    def package_name(self) -> str:
        """The distribution name without its version pin, e.g. ``mediapipe``."""
        return self.package.split("==", 1)[0]

    @property
    def top_level_module(self) -> str:
        return self.path_in_package.split("/", 1)[0]


@cache
def load_manifest() -> dict[str, ModelFile]:
    """Read the manifest, keyed by file name.

    Raises:
        ModelFileError: the manifest itself is missing or malformed.
    """
    path = _WHEEL_MANIFEST if _WHEEL_MANIFEST.exists() else _REPO_MANIFEST
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["models"]
        return {
            entry["name"]: ModelFile(
                name=entry["name"],
                sha256=entry["sha256"],
                size_bytes=int(entry["size_bytes"]),
                package=entry["package"],
                path_in_package=entry["path_in_package"],
            )
            for entry in entries
        }
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelFileError(f"cannot read the model manifest {path}: {exc}") from exc


@dataclass(frozen=True, slots=True)
class DerivedModelFile:
    """One entry of the manifest's ``derived`` list: a file built here from another model file.

    Optional: ``gazertc models fetch`` and :func:`problems` ignore it; the code that chooses it
    asks :func:`locate_derived`.
    """

    name: str
    sha256: str
    size_bytes: int
    derived_from: str


@cache
def load_derived() -> dict[str, DerivedModelFile]:
    """The manifest's derived files, keyed by file name.

    Raises:
        ModelFileError: the manifest itself is missing or malformed.
    """
    path = _WHEEL_MANIFEST if _WHEEL_MANIFEST.exists() else _REPO_MANIFEST
    try:
        entries = json.loads(path.read_text(encoding="utf-8")).get("derived", [])
        return {
            entry["name"]: DerivedModelFile(
                name=entry["name"],
                sha256=entry["sha256"],
                size_bytes=int(entry["size_bytes"]),
                derived_from=entry["derived_from"],
            )
            for entry in entries
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ModelFileError(f"cannot read the model manifest {path}: {exc}") from exc


DERIVED_DIGEST_SUFFIX = ".sha256"
"""Beside a derived file, the sha256 of the bytes built here: the manifest's is the reference
build's, which another CPU may not reproduce bit for bit (see :func:`locate_derived`)."""


def locate_derived(name: str) -> Path:
    """Path of a verified derived file in :func:`model_dir`.

    The file must match the digest written beside it when it was built here, or, without one,
    the manifest's. A build on another machine can differ from the manifest's reference bytes in
    the last bits of its calibration (floating point on another instruction set), so it is
    checked against its own record; any later change to the file is still caught.

    Raises:
        ModelFileError: the manifest does not list it, or the file is missing or corrupt; the
            message names :data:`IRIS_INT8_BUILD_COMMAND`.
    """
    derived = load_derived().get(name)
    if derived is None:
        raise ModelFileError(f"{name} is not a derived model file of the manifest")
    path = model_dir() / name
    if not path.is_file():
        raise ModelFileError(f"model file {path} not found; {IRIS_INT8_BUILD_COMMAND} builds it")
    record = path.with_name(name + DERIVED_DIGEST_SUFFIX)
    try:
        expected = record.read_text(encoding="ascii").strip() if record.is_file() else None
    except (OSError, UnicodeDecodeError):
        expected = ""
    if expected is None:
        intact = path.stat().st_size == derived.size_bytes and _sha256_of(path) == derived.sha256
    else:
        intact = _sha256_of(path) == expected
    if not intact:
        raise ModelFileError(
            f"model file {path} is corrupt (its sha256 differs from the one recorded when it "
            f"was built); delete it and run {IRIS_INT8_BUILD_COMMAND}"
        )
    return path


def model_dir() -> Path:
    """Where extracted model files live.

    ``$GAZERTC_MODEL_DIR`` when set, else ``gazertc/models`` in the per-user cache
    (``$XDG_CACHE_HOME``, by default ``~/.cache``): the files are derived data that can be fetched
    again, and one copy serves every virtual environment and checkout of the user.
    """
    override = os.environ.get("GAZERTC_MODEL_DIR")
    if override:
        return Path(override)
    cache = Path(os.environ.get("XDG_CACHE_HOME", ""))
    if not cache.is_absolute():  # unset, empty or relative: the XDG spec says to ignore it
        cache = Path.home() / ".cache"
    return cache / "gazertc" / "models"


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _path_in_installed_package(model: ModelFile) -> Path | None:
    spec = importlib.util.find_spec(model.top_level_module)
    if spec is None or not spec.submodule_search_locations:
        return None
    package_root = Path(next(iter(spec.submodule_search_locations))).parent
    return package_root / model.path_in_package


def _fix_for(model: ModelFile) -> str:
    if _path_in_installed_package(model) is not None or model.package_name != "mediapipe":
        return f"fix: pip install --force-reinstall {model.package}"
    return f"fix: {FETCH_COMMAND}"


@cache
def _verified(path: Path, sha256: str, size_bytes: int, mtime_ns: int) -> bool:
    # The stat values are part of the cache key so that a file replaced on disk is checked again.
    del mtime_ns
    return path.stat().st_size == size_bytes and _sha256_of(path) == sha256


def locate(name: str) -> Path:
    """Return the path of a verified model file.

    The checksum is computed once per process and file version.

    Raises:
        ModelFileError: the name is not in the manifest, or the file is missing or corrupt; the
            message names the command that fixes it.
    """
    manifest = load_manifest()
    if name not in manifest:
        raise ModelFileError(f"{name!r} is not in the model manifest (known: {sorted(manifest)})")
    model = manifest[name]
    candidates = [model_dir() / model.name]
    installed = _path_in_installed_package(model)
    if installed is not None:
        candidates.insert(0, installed)
    for path in candidates:
        if not path.is_file():
            continue
        stat = path.stat()
        if _verified(path, model.sha256, model.size_bytes, stat.st_mtime_ns):
            return path
        raise ModelFileError(
            f"model file {path} is corrupt (sha256 or size differs from the manifest); "
            f"{_fix_for(model)}"
        )
    searched = ", ".join(str(path) for path in candidates)
    raise ModelFileError(f"model file {name} not found (looked in {searched}); {_fix_for(model)}")


def problems() -> list[str]:
    """One message per model file that is missing or corrupt (empty when all are usable).

    For checks before a long-running command starts (``serve``, ``doctor``), so that a missing file
    is reported at once rather than by the first worker that needs it.
    """
    found = []
    for name in load_manifest():
        try:
            locate(name)
        except ModelFileError as exc:
            found.append(str(exc))
    return found


def fetch(name: str) -> Path:
    """Extract a model file from its package's wheel into :func:`model_dir`.

    Downloads the wheel with pip (from the configured index, no dependencies), takes out the one
    file, checks it, and writes it atomically. Does nothing when a verified copy is present.

    Raises:
        ModelFileError: the download failed or the extracted file fails its checksum.
    """
    model = load_manifest()[name]
    try:
        return locate(name)
    except ModelFileError:
        logger.info("fetching %s from %s", name, model.package)
    target = model_dir() / model.name
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gazertc-wheel-") as download_dir:
        command = [
            sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
            "--only-binary=:all:", "--dest", download_dir, model.package,
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        wheels = sorted(Path(download_dir).glob("*.whl"))
        if result.returncode != 0 or not wheels:
            raise ModelFileError(
                f"could not download {model.package} to extract {name}: {result.stderr.strip()}"
            )
        with zipfile.ZipFile(wheels[0]) as wheel:
            try:
                payload = wheel.read(model.path_in_package)
            except KeyError as exc:
                raise ModelFileError(
                    f"{model.path_in_package} is not inside {wheels[0].name}"
                ) from exc
    if hashlib.sha256(payload).hexdigest() != model.sha256:
        raise ModelFileError(f"{name} extracted from {model.package} fails its sha256 check")
    partial = target.with_suffix(target.suffix + ".partial")
    partial.write_bytes(payload)
    partial.replace(target)
    return locate(name)


def main(argv: list[str] | None = None) -> int:
    """``gazertc models {fetch,check}``: prepare or verify every model file."""
    parser = argparse.ArgumentParser(prog="gazertc models", description=main.__doc__)
    parser.add_argument("action", choices=["fetch", "check"])
    args = parser.parse_args(argv)
    status = 0
    for name in load_manifest():
        try:
            path = fetch(name) if args.action == "fetch" else locate(name)
        except ModelFileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
        else:
            print(f"ok  {name}  {path}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
