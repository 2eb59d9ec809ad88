"""``gazertc doctor``: find the usual installation and machine problems, and say what fixes each.

A failed start (a model file not fetched, the port taken, a key file the server cannot read, a
data directory other users can read) costs a person a search through tracebacks; each check
here looks at one such cause with the same flags ``serve`` takes and prints one line, plus the
command or step that fixes it when something is wrong. The exit status is 1 when any check fails,
so scripts and CI can run it before ``serve``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import json
import os
import shutil
import socket
import ssl
import stat
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path

import gazertc
from gazertc import extras, installation, models
from gazertc.errors import ModelFileError

__all__ = [
    "Finding",
    "Status",
    "add_arguments",
    "check_app",
    "check_chromium",
    "check_data_dir",
    "check_extras",
    "check_models",
    "check_port",
    "check_tls",
    "run",
    "run_checks",
]

CERT_EXPIRY_WARNING = dt.timedelta(days=14)
"""A certificate that expires sooner than this is reported before it breaks https."""

DEFAULT_CHROMIUM = "/usr/bin/chromium"
"""Where the browser tests look for Chromium unless ``$CHROMIUM`` says otherwise."""


class Status(StrEnum):
    """How a check came out; only ``FAIL`` makes ``doctor`` exit with 1."""

    OK = "ok"
    NOTE = "note"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True, slots=True)
class Finding:
    """The outcome of one check: what was looked at, what was found, and the fix if needed."""

    check: str
    status: Status
    detail: str
    fix: str | None = None


def check_models() -> list[Finding]:
    """Every model file of the manifest present and matching its sha256."""
    findings = []
    for name in models.load_manifest():
        try:
            path = models.locate(name)
        except ModelFileError as exc:
            detail, _, fix = str(exc).partition("; fix: ")
            findings.append(Finding("models", Status.FAIL, detail, fix or models.FETCH_COMMAND))
        else:
            findings.append(Finding("models", Status.OK, f"{name} verified (sha256) at {path}"))
    return findings


def check_app(directory: Path | None) -> Finding:
    """The built web app present, with every file its ``index.html`` loads."""
    if directory is None:
        looked = f"{installation.PACKAGED_APP_DIR}, {installation.CHECKOUT_APP_DIR}"
        return Finding(
            "web app", Status.FAIL, f"no built web app (looked in {looked})", installation.app_fix()
        )
    problems = installation.app_problems(directory)
    if problems:
        return Finding("web app", Status.FAIL, "; ".join(problems), installation.app_fix())
    return Finding("web app", Status.OK, f"served from {directory}")


def check_port(host: str, port: int) -> Finding:
    """The address ``serve`` would listen on is free (bound and released at once, as aiohttp
    binds: with ``SO_REUSEADDR``, so connections still closing do not count as in use)."""
    where = f"{host}:{port}"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as exc:
        return Finding("port", Status.FAIL, f"cannot resolve --host {host}: {exc}", "fix --host")
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return Finding(
                    "port",
                    Status.FAIL,
                    f"{where} is in use (another gazertc serve, or another program)",
                    f"stop that program (ss -ltnp 'sport = :{port}' shows it), or serve on "
                    f"another port: gazertc serve --port {port + 1}",
                )
            if exc.errno == errno.EACCES:
                return Finding(
                    "port",
                    Status.FAIL,
                    f"{where}: ports below 1024 need privileges",
                    "gazertc serve --port 3000",
                )
            return Finding(
                "port", Status.FAIL, f"cannot listen on {where}: {exc}", "check --host and --port"
            )
    return Finding("port", Status.OK, f"{where} is free")


def _certificate_expiry(cert: Path) -> dt.datetime:
    from cryptography import x509  # noqa: PLC0415  (only when a certificate is given)

    return x509.load_pem_x509_certificate(cert.read_bytes()).not_valid_after_utc


def check_tls(cert: Path | None, key: Path | None, now: dt.datetime | None = None) -> Finding:
    """The certificate and key readable, matching each other, and not (about to be) expired."""
    if cert is None and key is None:
        return Finding(
            "tls",
            Status.NOTE,
            "no --cert/--key: http only; browsers allow the camera on http://localhost only",
            None,
        )
    if cert is None or key is None:
        return Finding(
            "tls", Status.FAIL, "--cert and --key go together", "give both for https, or neither"
        )
    for path in (cert, key):
        try:
            with path.open("rb"):
                pass
        except OSError as exc:
            return Finding(
                "tls",
                Status.FAIL,
                f"cannot read {path}: {exc.strerror}",
                f"check the path, and that this user may read it (ls -l {path})",
            )
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
        expires = _certificate_expiry(cert)
    except (ssl.SSLError, ValueError) as exc:
        return Finding(
            "tls",
            Status.FAIL,
            f"{cert} and {key} do not load as a PEM certificate and its key: {exc}",
            "give the PEM certificate and the private key that belongs to it",
        )
    now = now or dt.datetime.now(dt.UTC)
    renew = "renew the certificate (for a local one, e.g. mkcert or openssl req -x509)"
    if expires <= now:
        return Finding("tls", Status.FAIL, f"{cert} expired on {expires:%Y-%m-%d}", renew)
    if expires - now < CERT_EXPIRY_WARNING:
        return Finding("tls", Status.WARN, f"{cert} expires on {expires:%Y-%m-%d}", renew)
    return Finding("tls", Status.OK, f"{cert} and {key} load; valid until {expires:%Y-%m-%d}")


def check_data_dir(path: Path) -> Finding:
    """The recordings' directory writable by this user and closed to others (personal data)."""
    if not path.exists():
        parent = next((p for p in path.absolute().parents if p.exists()), Path("/"))
        if os.access(parent, os.W_OK | os.X_OK):
            return Finding(
                "data dir", Status.OK, f"{path} does not exist yet; gazertc serve creates it"
            )
        return Finding(
            "data dir",
            Status.FAIL,
            f"{path} does not exist and {parent} is not writable",
            "choose a writable place: gazertc serve --data-dir DIR",
        )
    if not path.is_dir():
        return Finding(
            "data dir", Status.FAIL, f"{path} is not a directory", "gazertc serve --data-dir DIR"
        )
    try:
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        return Finding(
            "data dir",
            Status.FAIL,
            f"{path} is not writable: {exc.strerror}",
            f"make it this user's (chown {os.getuid()} {path}) or use --data-dir",
        )
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return Finding(
            "data dir",
            Status.WARN,
            f"{path} is open to other users (mode {mode:o}); recordings are personal data",
            f"chmod 700 {path}",
        )
    return Finding("data dir", Status.OK, f"{path} is writable and private (mode {mode:o})")


def check_chromium(
    environ: Mapping[str, str] | None = None, which: Callable[[str], str | None] = shutil.which
) -> Finding:
    """Chromium where the browser tests look for it (``$CHROMIUM``, else /usr/bin/chromium)."""
    environ = os.environ if environ is None else environ
    path = environ.get("CHROMIUM") or DEFAULT_CHROMIUM
    if Path(path).is_file() and os.access(path, os.X_OK):
        return Finding("chromium", Status.OK, f"{path} (for the browser tests)")
    elsewhere = which("chromium") or which("chromium-browser")
    hint = f"; found {elsewhere}: set CHROMIUM={elsewhere}" if elsewhere else ""
    return Finding(
        "chromium",
        Status.WARN,
        f"{path} not found{hint}; only the browser tests (make e2e) need it",
        "make chromium (apt-get install chromium)",
    )


def check_extras() -> list[Finding]:
    """Which optional extras are installed; a missing one is a note, not a fault."""
    findings = []
    for extra in extras.EXTRAS:
        modules = ", ".join(extra.modules)
        if extras.is_installed(extra):
            findings.append(Finding("extras", Status.OK, f"{extra.name} ({modules}) installed"))
        else:
            findings.append(
                Finding(
                    "extras",
                    Status.NOTE,
                    f"{extra.name} not installed; only {extra.needed_by} needs it",
                    extras.install_command(extra),
                )
            )
    return findings


def run_checks(args: argparse.Namespace) -> list[Finding]:
    """Every check, in the order a person would fix them."""
    return [
        *check_models(),
        check_app(args.static_dir or installation.app_dir()),
        check_port(args.host, args.port),
        check_tls(args.cert, args.key),
        check_data_dir(args.data_dir),
        *check_extras(),
        check_chromium(),
    ]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``serve`` flags that the checks look at, with the same defaults."""
    parser.add_argument("--host", default="127.0.0.1", help="address serve would listen on")
    parser.add_argument("--port", type=int, default=3000, help="port serve would listen on")
    parser.add_argument("--cert", type=Path, default=None, help="TLS certificate to check")
    parser.add_argument("--key", type=Path, default=None, help="TLS private key to check")
    parser.add_argument("--static-dir", type=Path, default=None, help="web app folder to check")
    parser.add_argument(
        "--data-dir", type=Path, default=Path("gazertc-data"), help="recordings folder to check"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per check")


def run(args: argparse.Namespace) -> int:
    """Print every finding; returns 1 when any check failed, else 0."""
    findings = run_checks(args)
    if args.json:
        for finding in findings:
            print(json.dumps(asdict(finding)))
    else:
        print(f"gazertc {gazertc.__version__} (python {sys.version.split()[0]}, {sys.prefix})")
        for finding in findings:
            print(f"{finding.status.value:5s} {finding.check:9s} {finding.detail}")
            if finding.fix and finding.status is not Status.OK:
                print(f"{'':15s} fix: {finding.fix}")
        failed = sum(finding.status is Status.FAIL for finding in findings)
        print("no problems found" if not failed else f"{failed} problem(s): see 'fix' above")
    return 1 if any(finding.status is Status.FAIL for finding in findings) else 0
