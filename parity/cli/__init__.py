"""The ``parity`` command line: parsing and error handling; each command lives in
``parity/cli/commands/<name>.py`` and exposes ``register(subparsers)``, which
adds its sub-parser and sets ``func(args) -> int`` (the exit code)."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

import psycopg2

from calculators.errors import InvalidInputError
from parity.cli.errors import EXIT_BAD_INPUT, ParityError

__all__ = ["build_parser", "main"]

#: Command modules, in the order ``parity --help`` lists them.
COMMAND_MODULES = (
    "demo",
    "run",
    "gate",
    "backtest",
    "sweep",
    "calibrate",
    "db",
    "load",
    "simulate",
    "replay",
    "fixtures",
)


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every command module that is present."""
    parser = argparse.ArgumentParser(
        prog="parity",
        description="Candle-only calculators vs stored live rows: parity reports, CI gate, backtests.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(f"parity.cli.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit code (0, 1 or 2)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _show_library_notes()
    try:
        return int(args.func(args) or 0)
    except (ParityError, InvalidInputError) as exc:
        _fail(str(exc))
        return getattr(exc, "exit_code", EXIT_BAD_INPUT)
    except KeyboardInterrupt:
        _fail("interrupted")
        return 130
    except psycopg2.Error as exc:
        detail = (getattr(exc, "pgerror", None) or str(exc)).strip().splitlines()
        _fail(f"database error: {detail[0] if detail else type(exc).__name__}")
        return EXIT_BAD_INPUT
    except OSError as exc:
        _fail(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))
        return EXIT_BAD_INPUT


def _fail(message: str) -> None:
    first_line = (message.strip().splitlines() or ["error"])[0]
    print(f"parity: error: {first_line}", file=sys.stderr)


class _StderrHandler(logging.Handler):
    """Writes each record's message as a line to the current ``sys.stderr``."""

    def emit(self, record: logging.LogRecord) -> None:
        print(self.format(record), file=sys.stderr)


def _show_library_notes() -> None:
    """Show the library's INFO notes (``logging`` under ``parity``) on stderr, once."""
    logger = logging.getLogger("parity")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        logger.addHandler(_StderrHandler())
    logger.setLevel(logging.INFO)
