"""The ``parity`` command line: parsing and error handling; each command lives in
``parity/cli/commands/<name>.py`` and exposes ``register(subparsers)``, which
adds its sub-parser and sets ``func(args) -> int`` (the exit code).

Every way out of `main` is one of the exit codes of `parity.cli.errors` with
at most one line on stderr: a usage error (argparse) and bad input (a
`ParityError`, an `InvalidInputError`, a database or file error) exit 2; any
other exception is a bug and exits 3 with one line saying so; its traceback is
shown only with ``--debug`` (anywhere on the command line) or ``PARITY_DEBUG=1``.
A command writing a folder uses `parity.io.atomic.atomic_directory` (and the
``--out`` option type `parity.cli.options.out_dir`), never its own renames.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import re
import sys
import traceback
from importlib import metadata

import psycopg2

from calculators.errors import InvalidInputError
from parity.cli.errors import EXIT_BAD_INPUT, EXIT_BUG, ParityError

__all__ = ["build_parser", "main"]

#: Command modules, in the order ``parity --help`` lists them.
COMMAND_MODULES = (
    "demo",
    "run",
    "gate",
    "init",
    "diff",
    "backtest",
    "sweep",
    "calibrate",
    "db",
    "load",
    "simulate",
    "replay",
    "fixtures",
)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line (exit 2), not the usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        _fail(f"{message} (see '{self.prog} --help')")
        raise SystemExit(EXIT_BAD_INPUT)


def version() -> str:
    """The installed version of backtest-parity (``"unknown"`` if not installed)."""
    try:
        return metadata.version("backtest-parity")
    except metadata.PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every command module that is present."""
    parser = _Parser(
        prog="parity",
        description="Candle-only calculators vs stored live rows: parity reports, CI gate, backtests.",
    )
    parser.add_argument("--version", action="version", version=f"parity {version()}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the traceback of an internal error (also PARITY_DEBUG=1; any position)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(f"parity.cli.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit code: 0 success, 1 a gate
    failed, 2 bad input (one line on stderr), 3 a bug (one line; the traceback
    with ``--debug`` or ``PARITY_DEBUG=1``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv or os.environ.get("PARITY_DEBUG", "") not in ("", "0")
    argv = [a for a in argv if a != "--debug"]
    try:
        return _dispatch(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        return exc.code if isinstance(exc.code, int) else EXIT_BAD_INPUT
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
    except Exception as exc:
        if debug:
            traceback.print_exc(file=sys.stderr)
        detail = (str(exc).strip().splitlines() or [""])[0]
        where = "" if debug else "; rerun with --debug for the traceback"
        _fail(f"internal error (a bug, please report it): {type(exc).__name__}: {detail}{where}")
        return EXIT_BUG


def _dispatch(argv: list[str]) -> int:
    """Parse ``argv`` and run the command; exceptions are `main`'s to map."""
    args = build_parser().parse_args(argv)
    _show_library_notes()
    return int(args.func(args) or 0)


#: numpy scalar reprs (``np.float64(nan)``) shown as their plain value.
_NUMPY_REPR = re.compile(r"\bnp\.(?:float|int|uint|bool|str|complex)\w*\(([^()]*)\)")


def _fail(message: str) -> None:
    first_line = (message.strip().splitlines() or ["error"])[0]
    first_line = _NUMPY_REPR.sub(r"\1", first_line)
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
