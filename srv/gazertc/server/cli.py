"""The ``gazertc serve`` command: flags in, a running server out (argument parsing only)."""

from __future__ import annotations

import argparse
import ipaddress
import os
import ssl
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from gazertc import extras, installation, models
from gazertc.errors import InputError, ModelFileError

if TYPE_CHECKING:
    from gazertc.cluster.registry import RegistrySettings
    from gazertc.server.guards import EdgeConfig

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the ``serve`` flags to ``parser``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (0.0.0.0: all)")
    parser.add_argument("--port", type=int, default=3000, help="TCP port (default 3000)")
    parser.add_argument("--cert", type=Path, default=None, help="TLS certificate (PEM) for https")
    parser.add_argument("--key", type=Path, default=None, help="TLS private key (PEM) for https")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="pipeline worker processes (default: one per usable core)",
    )
    parser.add_argument(
        "--max-sessions", type=int, default=8, help="concurrent sessions before HTTP 503"
    )
    parser.add_argument(
        "--static-dir",
        type=Path,
        default=None,
        help="built web app to serve at / (default: the one inside the installed package, or "
        "app/dist of a source checkout)",
    )
    parser.add_argument(
        "--stun",
        action="append",
        default=[],
        metavar="URL",
        help="STUN server, e.g. stun:stun.example.org:3478 (repeatable; default none: host "
        "candidates only)",
    )
    parser.add_argument("--turn", action="append", default=[], metavar="URL", help="TURN server")
    parser.add_argument("--turn-username", default=None, help="username for the TURN servers")
    parser.add_argument("--turn-credential", default=None, help="credential for the TURN servers")
    parser.add_argument(
        "--turn-secret",
        default=os.environ.get("GAZERTC_TURN_SECRET"),
        metavar="SECRET",
        help="shared secret of the TURN servers (coturn: use-auth-secret, static-auth-secret): "
        "short-lived credentials are made from it for each client, instead of "
        "--turn-username/--turn-credential (default: $GAZERTC_TURN_SECRET, which keeps it out "
        "of process lists)",
    )
    parser.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="let pages at ORIGIN (e.g. https://lab.example.org) use this server's API, with "
        "CORS (repeatable; default: only the server's own pages)",
    )
    parser.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a host name this server answers to besides localhost, IP addresses and this "
        "machine's name, e.g. the name a reverse proxy serves it under (repeatable; other "
        "names get HTTP 421, which stops DNS rebinding)",
    )
    parser.add_argument(
        "--offer-rate",
        type=int,
        default=None,
        metavar="N",
        help="offers one client address may make per 10 s before HTTP 429 (default 4)",
    )
    parser.add_argument(
        "--trusted-proxy",
        action="append",
        default=[],
        metavar="ADDRESS",
        help="IP address of a reverse proxy whose X-Forwarded-For header names the client, "
        "for the offer rate and the connection log (repeatable)",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path("gazertc-data"),
        help="where recordings are kept (SQLite; default ./gazertc-data, created private)",
    )
    parser.add_argument(
        "--database",
        default=None,
        metavar="URL",
        help="keep recordings, events and calibration reports in this PostgreSQL database "
        "(postgresql://user:password@host:port/name), shared by the nodes of a cluster; "
        "videos stay in --data-dir (default: SQLite in --data-dir)",
    )
    parser.add_argument(
        "--lsl",
        action="store_true",
        help="publish each session's gaze samples and markers as Lab Streaming Layer outlets "
        "(needs the lsl extra: pip install 'gazertc[lsl]')",
    )
    parser.add_argument(
        "--advertise",
        action="store_true",
        help="announce the server on the local network over mDNS (_gazertc._tcp; needs zeroconf)",
    )
    parser.add_argument(
        "--host-token",
        "--monitor-token",
        dest="host_token",
        default=None,
        metavar="TOKEN",
        help="the host's bearer token: opens the monitor, the recordings and their exports "
        "(default: a new random one per start, printed in the monitor's address)",
    )
    parser.add_argument(
        "--node-name",
        default=None,
        metavar="NAME",
        help="this server's name in a cluster, in every /offer answer and /health (default: "
        "<hostname>:<port>; letters, digits and . _ : -)",
    )
    parser.add_argument(
        "--node-url",
        default=None,
        metavar="URL",
        help="with --database: where the other nodes reach this one, for the monitor's actions "
        "on its sessions (default: http(s)://<--host>:<--port>, this machine's name when "
        "--host is 0.0.0.0 or ::)",
    )
    parser.add_argument(
        "--no-host-recording",
        dest="host_recording",
        action="store_false",
        help="refuse recordings started by the host (monitor or host token): record only when "
        "the participant starts it",
    )
    parser.add_argument(
        "--iris-model",
        choices=["float", "int8"],
        default=None,
        help="iris network file: float (default) or int8, cheaper and slightly less accurate, "
        "built by `make iris-int8` (docs/iris-int8.md)",
    )


def _ssl_context(cert: Path | None, key: Path | None) -> ssl.SSLContext | None:
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise InputError("--cert and --key go together: give both for https, or neither")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise InputError(f"cannot load the TLS certificate {cert} and key {key}: {exc}") from exc
    return context


def _check_models() -> None:
    """Fail before listening when a model file is unusable, naming the command that fixes it.

    Otherwise the server would start, and the first session's worker would fail instead.
    """
    problems = models.problems()
    if problems:
        more = f" (and {len(problems) - 1} more: gazertc models check)" if len(problems) > 1 else ""
        raise ModelFileError(problems[0] + more)


def _choose_iris_model(choice: str | None) -> None:
    """Hand ``--iris-model`` to every worker process (they inherit the environment); fail before
    listening when the int8 file is asked for and not built."""
    if choice is None:
        return
    from gazertc.vision.iris import IRIS_MODEL_ENV  # noqa: PLC0415  (imports OpenCV)

    if choice == "int8":
        models.locate_derived(models.IRIS_LANDMARK_INT8)
    os.environ[IRIS_MODEL_ENV] = choice


def _private_data_dir(data_dir: Path) -> None:
    """Create the data directory readable by its owner only: recordings are personal data."""
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create the data directory {data_dir}: {exc}") from exc


def _check_database(url: str, data_dir: Path | None) -> None:
    """Fail before listening when ``--database`` is unusable (the message hides any password).

    Raises:
        InputError: not a PostgreSQL URL, no data directory, or the database cannot be reached.
    """
    from gazertc.recording.backend import (  # noqa: PLC0415  (imports psycopg)
        DatabaseUnavailableError,
        open_database,
    )

    if data_dir is None:
        raise InputError("--database needs --data-dir: the recordings' videos are kept there")
    try:
        open_database(data_dir, url).connect().close()
    except (ValueError, DatabaseUnavailableError) as exc:
        raise InputError(f"--database: {exc}") from None  # the cause may repeat the URL


def _cluster_settings(args: argparse.Namespace, *, tls: bool) -> RegistrySettings | None:
    """The cluster registry's settings: with ``--database`` only.

    Raises:
        InputError: ``--node-url`` is not an http(s) URL of a host, or is given alone.
    """
    from gazertc.cluster.registry import (  # noqa: PLC0415  (imports psycopg)
        RegistrySettings,
        check_node_url,
        default_node_url,
    )

    if args.database is None:
        if args.node_url is not None:
            raise InputError("--node-url needs --database: the nodes meet in that database")
        return None
    if args.node_url is None:
        return RegistrySettings(args.database, default_node_url(args.host, args.port, tls=tls))
    try:
        return RegistrySettings(args.database, check_node_url(args.node_url))
    except ValueError as exc:
        raise InputError(f"--node-url: {exc}") from exc


def _edge_config(args: argparse.Namespace) -> EdgeConfig:
    """The edge settings of the flags, each checked.

    Raises:
        InputError: a flag's value is unusable (the message names the flag).
    """
    from gazertc.server.guards import (  # noqa: PLC0415  (imports aiohttp and aiortc)
        DEFAULT_OFFER_RATE,
        EdgeConfig,
        check_host_name,
        check_origin,
    )

    if args.turn_secret is not None:
        if not args.turn:
            raise InputError("--turn-secret needs the TURN server's address: add --turn URL")
        if args.turn_username is not None:
            raise InputError(
                "--turn-secret makes the TURN credentials itself: leave out --turn-username "
                "and --turn-credential"
            )
    offer_rate = DEFAULT_OFFER_RATE if args.offer_rate is None else args.offer_rate
    if offer_rate < 1:
        raise InputError(f"--offer-rate must be at least 1, got {offer_rate}")
    try:
        origins = tuple(check_origin(origin) for origin in args.allow_origin)
    except ValueError as exc:
        raise InputError(f"--allow-origin: {exc}") from exc
    try:
        hosts = tuple(check_host_name(name) for name in args.allowed_host)
    except ValueError as exc:
        raise InputError(f"--allowed-host: {exc}") from exc
    for proxy in args.trusted_proxy:
        try:
            ipaddress.ip_address(proxy)
        except ValueError as exc:
            raise InputError(f"--trusted-proxy: {exc}") from exc
    return EdgeConfig(origins, hosts, offer_rate, tuple(args.trusted_proxy))


def run(args: argparse.Namespace) -> int:
    """Run the server until interrupted; returns the exit status.

    Raises:
        InputError: inconsistent flags, an unreadable certificate, a port in use, or
            ``--advertise`` without zeroconf.
        ModelFileError: a model file is missing or corrupt.
        MissingExtraError: ``--lsl`` without the ``lsl`` extra.
        LslError: ``--lsl`` with a pylsl that cannot load liblsl.
    """
    from aiohttp import web  # noqa: PLC0415  (aiortc and aiohttp are slow to import)

    from gazertc.server.access import check_token, new_token  # noqa: PLC0415
    from gazertc.server.app import (  # noqa: PLC0415
        HTTP_SHUTDOWN_TIMEOUT_S,
        IceServer,
        ServerConfig,
        create_app,
    )
    from gazertc.server.node import check_node_name  # noqa: PLC0415

    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be at least 1, got {args.workers}")
    if args.max_sessions < 1:
        raise InputError(f"--max-sessions must be at least 1, got {args.max_sessions}")
    if (args.turn_username is None) != (args.turn_credential is None):
        raise InputError("--turn-username and --turn-credential go together")
    edge = _edge_config(args)
    if args.static_dir is not None and not (args.static_dir / "index.html").is_file():
        raise InputError(f"--static-dir {args.static_dir} has no index.html")
    if args.lsl:
        extras.require("lsl")
    _check_models()
    _choose_iris_model(args.iris_model)
    if args.advertise:
        try:
            import zeroconf  # noqa: F401, PLC0415  (checked before serving; used by discovery)
        except ImportError as exc:
            raise InputError(
                f"--advertise needs zeroconf ({exc}); "
                "install it with: pip install zeroconf==0.154.0"
            ) from exc
    if args.host_token is None:
        host_token = new_token()
    else:
        try:
            host_token = check_token(args.host_token)
        except ValueError as exc:
            raise InputError(f"--host-token: {exc}") from exc
    if args.node_name is not None:
        try:
            check_node_name(args.node_name)
        except ValueError as exc:
            raise InputError(f"--node-name: {exc}") from exc
    ssl_context = _ssl_context(args.cert, args.key)
    static_dir = args.static_dir or installation.app_dir()
    if static_dir is None:
        fix = installation.app_fix()
        print(f"gazertc: no web app found, serving the API only (fix: {fix})", file=sys.stderr)
    if args.data_dir is not None:
        _private_data_dir(args.data_dir)
    if args.database is not None:
        _check_database(args.database, args.data_dir)
    ice_servers = [IceServer((url,)) for url in args.stun] + [
        IceServer((url,), args.turn_username, args.turn_credential, args.turn_secret)
        for url in args.turn
    ]
    defaults = ServerConfig()
    config = ServerConfig(
        host=args.host,
        port=args.port,
        cert_path=args.cert,
        key_path=args.key,
        static_dir=static_dir,
        worker_count=args.workers or defaults.worker_count,
        max_sessions=args.max_sessions,
        ice_servers=tuple(ice_servers),
        data_dir=args.data_dir,
        lsl=args.lsl,
        advertise=args.advertise,
        host_token=host_token,
        host_recording=args.host_recording,
        edge=edge,
        node_name=args.node_name,
        database_url=args.database,
        cluster=_cluster_settings(args, tls=ssl_context is not None),
    )
    scheme = "https" if ssl_context else "http"
    base_url = f"{scheme}://{config.host}:{config.port}"
    print(f"gazertc: serving on {base_url}", file=sys.stderr)
    # The host token sits in the fragment, which browsers never send: the page puts it in a
    # header. Scripts take it from here too (recordings and exports need it).
    print(f"gazertc: monitor: {base_url}/monitor#token={host_token}", file=sys.stderr)
    try:
        web.run_app(
            create_app(config),
            host=config.host,
            port=config.port,
            ssl_context=ssl_context,
            print=None,
            access_log=None,
            shutdown_timeout=HTTP_SHUTDOWN_TIMEOUT_S,
        )
    except OSError as exc:
        raise InputError(f"cannot listen on {config.host}:{config.port}: {exc}") from exc
    return 0
