"""The edge's parts on their own: the token bucket, canonical origins and host names, the
content security policy, the exposure warning and the serve flags that configure the edge."""

from __future__ import annotations

import argparse
import logging
import re

import pytest
from aiohttp import web

from gazertc.errors import InputError
from gazertc.server import cli, guards
from gazertc.server.guards import (
    CONTENT_SECURITY_POLICY,
    DEFAULT_OFFER_RATE,
    EdgeConfig,
    OfferRateLimiter,
    check_host_name,
    check_origin,
    exposure_warning,
)


def test_the_token_bucket_refills_at_its_rate() -> None:
    now_s = [0.0]
    limiter = OfferRateLimiter(4, window_s=10.0, clock=lambda: now_s[0])
    assert [limiter.take("192.0.2.1") for _ in range(4)] == [None] * 4
    assert limiter.take("192.0.2.1") == pytest.approx(2.5)
    now_s[0] = 2.5
    assert limiter.take("192.0.2.1") is None
    assert limiter.take("192.0.2.1") == pytest.approx(2.5)
    # One IPv6 host holds a /64; an IPv4-mapped address is its IPv4 address.
    for i in range(4):
        assert limiter.take(f"2001:db8::{i + 1}") is None
    assert limiter.take("2001:db8::ffff") is not None
    assert limiter.take("2001:db8:0:1::1") is None
    assert limiter.take("::ffff:192.0.2.1") is not None


async def test_plain_http_beyond_loopback_is_warned_about(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert exposure_warning("127.0.0.1", tls=False) is None
    assert exposure_warning("::1", tls=False) is None
    assert exposure_warning("localhost", tls=False) is None
    assert exposure_warning("0.0.0.0", tls=True) is None
    warning = exposure_warning("0.0.0.0", tls=False)
    assert warning is not None and "every network interface" in warning
    assert "--cert" in warning and "Hosting for others" in warning
    caplog.set_level(logging.WARNING, logger="gazertc.server.guards")
    app = web.Application()
    guards.install(app, EdgeConfig(), listen_host="192.0.2.10", tls=False)
    runner = web.AppRunner(app)
    await runner.setup()  # starts the application: the warning is logged once, now
    await runner.cleanup()
    assert any("plain HTTP on 192.0.2.10" in r.getMessage() for r in caplog.records)


# -- the serve flags ---------------------------------------------------------------------------


def _args(*flags: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(list(flags))


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (("--allow-origin", "lab.example.org"), "--allow-origin: 'lab.example.org' is not"),
        (("--allow-origin", "https://lab.example.org/app"), "scheme://host"),
        (("--allow-origin", "http://[::1"), "is not an origin"),
        (("--allowed-host", "https://gaze.example.org"), "--allowed-host: "),
        (("--allowed-host", "gaze.example.org:443"), "no port"),
        (("--offer-rate", "0"), "--offer-rate must be at least 1"),
        (("--turn-secret", "s3cret"), "--turn-secret needs"),
        (
            (
                "--turn",
                "turn:t",
                "--turn-secret",
                "s",
                "--turn-username",
                "u",
                "--turn-credential",
                "c",
            ),
            "leave out --turn-username",
        ),
        (("--trusted-proxy", "proxy.local"), "--trusted-proxy"),
    ],
)
def test_serve_refuses_unusable_edge_flags(flags: tuple[str, ...], message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        cli.run(_args(*flags))


def test_origins_and_host_names_are_canonical() -> None:
    assert check_origin("HTTPS://Lab.Example.org:443/") == "https://lab.example.org"
    assert check_origin("http://10.0.0.5:8080") == "http://10.0.0.5:8080"
    assert check_host_name("Gaze.Example.org.") == "gaze.example.org"
    assert check_host_name("[2001:db8::1]") == "2001:db8::1"
    assert EdgeConfig().offer_rate == DEFAULT_OFFER_RATE
    assert _args().offer_rate is None  # the serve command's default is DEFAULT_OFFER_RATE


def test_the_csp_has_no_unsafe_script_sources() -> None:
    directives = dict(directive.split(" ", 1) for directive in CONTENT_SECURITY_POLICY.split("; "))
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY
