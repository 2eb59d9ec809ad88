"""The configuration templates in deploy/: rendered, HAProxy accepts its own; a missing value
or template is named."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from gazertc.cluster.local import render_template
from gazertc.errors import InputError
from tests.system_programs import require_programs

HAPROXY_VALUES = {
    "bind_address": "127.0.0.1",
    "port": "3000",
    "check_interval_ms": "500ms",
    "servers": "    server gaze-1 10.0.0.11:3001\n    server gaze-2 10.0.0.12:3001",
}


def test_haproxy_accepts_the_rendered_configuration(tmp_path: Path) -> None:
    require_programs("haproxy")
    path = tmp_path / "haproxy.cfg"
    path.write_text(render_template("haproxy.cfg", HAPROXY_VALUES), encoding="utf-8")
    checked = subprocess.run(
        ["haproxy", "-c", "-f", str(path)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "[WARNING]" not in checked.stdout + checked.stderr


def test_the_turn_configuration_keeps_the_secret_and_the_policy() -> None:
    rendered = render_template(
        "turnserver.conf",
        {
            "secret": "s3cret",
            "realm": "example.org",
            "listening_ip": "10.0.0.5",
            "relay_ip": "10.0.0.5",
            "port": "3478",
            "min_relay_port": "49152",
            "max_relay_port": "65535",
            "peer_policy": "denied-peer-ip=10.0.0.0-10.255.255.255",
            "userdb": "/var/lib/turnserver/turndb",
            "pidfile": "/run/turnserver.pid",
            "log_file": "/var/log/turnserver.log",
        },
    )
    lines = set(rendered.splitlines())
    assert {"use-auth-secret", "static-auth-secret=s3cret", "no-cli", "no-tls"} <= lines
    assert "denied-peer-ip=10.0.0.0-10.255.255.255" in lines
    assert "$" not in rendered


def test_a_missing_value_or_template_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\$servers"):
        render_template("haproxy.cfg", {k: v for k, v in HAPROXY_VALUES.items() if k != "servers"})
    with pytest.raises(InputError, match="source checkout"):
        render_template("haproxy.cfg", HAPROXY_VALUES, deploy_dir=tmp_path)
