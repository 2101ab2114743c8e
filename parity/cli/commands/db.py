"""``parity db start|stop|url``: the embedded PostgreSQL server and the DSN in use."""

from __future__ import annotations

import argparse

from parity.cli.options import add_dsn_option
from parity.db import embedded
from parity.db.connect import redact_dsn, resolve_dsn

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``parity db`` and its three sub-commands."""
    parser = subparsers.add_parser(
        "db",
        help="start/stop the embedded PostgreSQL, print the DSN",
        description=(
            "The embedded PostgreSQL server (data in $PARITY_PGDATA, default "
            "~/.local/share/backtest-parity/pgdata). It keeps running until 'parity db stop'."
        ),
    )
    sub = parser.add_subparsers(dest="db_command", metavar="ACTION")
    sub.required = True

    start = sub.add_parser("start", help="start the embedded server (or report it running)")
    start.set_defaults(func=_start)
    stop = sub.add_parser("stop", help="stop the embedded server")
    stop.set_defaults(func=_stop)
    url = sub.add_parser(
        "url",
        help="print the DSN commands use, without its password",
        description=(
            "Print the DSN the other commands would use (--dsn, else $PARITY_DSN, else the "
            "embedded server, started if needed), with any password removed."
        ),
    )
    add_dsn_option(url)
    url.set_defaults(func=_url)


def _start(args: argparse.Namespace) -> int:
    server = embedded.start()
    if server.already_running:
        print("embedded PostgreSQL already running")
    else:
        print(f"embedded PostgreSQL started in {server.start_seconds:.2f} s")
    print(f"data directory: {server.data_dir}")
    print(f"url: {redact_dsn(server.dsn)}")
    return 0


def _stop(args: argparse.Namespace) -> int:
    path = embedded.data_dir()
    if embedded.stop(path):
        print(f"embedded PostgreSQL stopped (data kept in {path})")
    else:
        print(f"embedded PostgreSQL was not running (data directory: {path})")
    return 0


def _url(args: argparse.Namespace) -> int:
    print(redact_dsn(resolve_dsn(args.dsn)))
    return 0
