"""Command-line options shared by several commands."""

from __future__ import annotations

import argparse

__all__ = ["add_dsn_option"]


def add_dsn_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--dsn DSN`` (default None: ``$PARITY_DSN``, else the embedded server)."""
    parser.add_argument(
        "--dsn",
        default=None,
        metavar="DSN",
        help=(
            "PostgreSQL connection string (URI or key=value). Default: $PARITY_DSN, "
            "else the embedded server (see 'parity db start')."
        ),
    )
