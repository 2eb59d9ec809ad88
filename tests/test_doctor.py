"""``gazertc doctor``: each check finds its problem on a machine set up to have it, and says
what fixes it; the command exits with 1 when a check fails."""

from __future__ import annotations

import datetime as dt
import os
import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gazertc import doctor, models
from gazertc.cli import main
from gazertc.doctor import Status

NOW = dt.datetime(2030, 6, 1, tzinfo=dt.UTC)


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_port_in_use_fails_and_names_another_port(busy_port: int) -> None:
    finding = doctor.check_port("127.0.0.1", busy_port)
    assert finding.status is Status.FAIL
    assert "in use" in finding.detail
    assert finding.fix is not None
    assert f"--port {busy_port + 1}" in finding.fix


def test_free_port_is_ok() -> None:
    assert doctor.check_port("127.0.0.1", _free_port()).status is Status.OK


def test_unresolvable_host_fails() -> None:
    assert doctor.check_port("no-such-host.invalid", 3000).status is Status.FAIL


def test_missing_model_fails_with_the_fetch_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GAZERTC_MODEL_DIR", str(tmp_path))
    findings = doctor.check_models()
    failed = [f for f in findings if f.status is Status.FAIL]
    assert len(failed) == 1
    assert models.IRIS_LANDMARK in failed[0].detail
    assert failed[0].fix == models.FETCH_COMMAND


def test_present_models_are_ok() -> None:
    assert all(f.status is Status.OK for f in doctor.check_models())


def test_app_without_its_assets_fails(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(
        '<script type="module" src="/assets/index-1.js"></script>'
        '<link rel="stylesheet" href="/assets/index-1.css">',
        encoding="utf-8",
    )
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "index-1.css").write_text("", encoding="utf-8")
    finding = doctor.check_app(tmp_path)
    assert finding.status is Status.FAIL
    assert "index-1.js" in finding.detail
    assert "index-1.css" not in finding.detail
    (tmp_path / "assets" / "index-1.js").write_text("", encoding="utf-8")
    assert doctor.check_app(tmp_path).status is Status.OK


def test_no_app_fails_with_a_fix() -> None:
    finding = doctor.check_app(None)
    assert finding.status is Status.FAIL
    assert finding.fix


def test_data_dir_open_to_others_is_a_warning(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    finding = doctor.check_data_dir(data)
    assert finding.status is Status.WARN
    assert finding.fix == f"chmod 700 {data}"
    data.chmod(0o700)
    assert doctor.check_data_dir(data).status is Status.OK


def test_data_dir_that_is_a_file_fails(tmp_path: Path) -> None:
    path = tmp_path / "data"
    path.write_text("", encoding="utf-8")
    assert doctor.check_data_dir(path).status is Status.FAIL


def test_data_dir_to_be_created_is_ok(tmp_path: Path) -> None:
    assert doctor.check_data_dir(tmp_path / "new" / "data").status is Status.OK


def test_unwritable_data_dir_fails(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        # Root ignores folder permissions; sysfs refuses new entries to everyone.
        assert doctor.check_data_dir(Path("/sys/kernel")).status is Status.FAIL
        return
    data = tmp_path / "data"
    data.mkdir(mode=0o500)
    try:
        assert doctor.check_data_dir(data).status is Status.FAIL
    finally:
        data.chmod(0o700)


def _certificate(tmp_path: Path, not_after: dt.datetime) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_after - dt.timedelta(days=365))
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_tls_checks(tmp_path: Path) -> None:
    assert doctor.check_tls(None, None).status is Status.NOTE
    cert, key = _certificate(tmp_path, NOW + dt.timedelta(days=90))
    assert doctor.check_tls(cert, None).status is Status.FAIL
    assert doctor.check_tls(cert, key, NOW).status is Status.OK
    assert doctor.check_tls(cert, key, NOW + dt.timedelta(days=80)).status is Status.WARN
    expired = doctor.check_tls(cert, key, NOW + dt.timedelta(days=91))
    assert expired.status is Status.FAIL
    assert "expired" in expired.detail
    missing = doctor.check_tls(cert, tmp_path / "no-key.pem", NOW)
    assert missing.status is Status.FAIL
    assert "cannot read" in missing.detail
    (tmp_path / "garbage.pem").write_text("not a key", encoding="utf-8")
    assert doctor.check_tls(cert, tmp_path / "garbage.pem", NOW).status is Status.FAIL
    (tmp_path / "other").mkdir()
    other_cert, _ = _certificate(tmp_path / "other", NOW + dt.timedelta(days=90))
    assert doctor.check_tls(other_cert, key, NOW).status is Status.FAIL  # another cert's key


def test_chromium(tmp_path: Path) -> None:
    missing = doctor.check_chromium({"CHROMIUM": str(tmp_path / "none")}, lambda _: None)
    assert missing.status is Status.WARN
    assert missing.fix is not None
    assert "make chromium" in missing.fix
    browser = tmp_path / "chromium"
    browser.write_text("#!/bin/sh\n", encoding="utf-8")
    browser.chmod(browser.stat().st_mode | stat.S_IXUSR)
    assert doctor.check_chromium({"CHROMIUM": str(browser)}).status is Status.OK


def test_command_exits_1_and_prints_the_fix(
    busy_port: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = main(["doctor", "--port", str(busy_port), "--data-dir", str(tmp_path / "data")])
    out = capsys.readouterr().out
    assert status == 1
    assert f"FAIL  port      127.0.0.1:{busy_port} is in use" in out
    assert "fix: stop that program" in out
