"""Command-line options shared by several commands."""

from __future__ import annotations

import argparse
import json
import tomllib
from pathlib import Path
from typing import Any

from calculators.params import Params
from parity.cli.errors import ParityError
from parity.io.outdir import check_files_dir, check_out_dir, check_out_file

__all__ = [
    "MAX_NESTING",
    "add_dsn_option",
    "add_params_options",
    "add_scheduler_option",
    "check_nesting",
    "files_dir",
    "out_dir",
    "out_file",
    "params_from_args",
    "too_deep",
]


def add_dsn_option(parser: argparse.ArgumentParser, environment: bool = True) -> None:
    """Add ``--dsn DSN`` (default None: ``$PARITY_DSN``, else the embedded server;
    with ``environment`` False, ``$PARITY_DSN`` is ignored: see
    `parity.db.connect.resolve_dsn`)."""
    default = (
        "$PARITY_DSN, else the embedded server"
        if environment
        else (
            "the embedded server ($PARITY_DSN is ignored: this command writes only into a "
            "database named on its command line)"
        )
    )
    parser.add_argument(
        "--dsn",
        default=None,
        metavar="DSN",
        help=(
            f"PostgreSQL connection string (URI or key=value). Default: {default} "
            "(see 'parity db start')."
        ),
    )


def out_dir(text: str) -> str:
    """The argparse ``type`` of every ``--out DIR`` that names a folder the command
    (re)writes: `parity.io.outdir.check_out_dir` at parse time, so a refused
    folder is one line, exit 2, before any work.  Returns ``text`` unchanged
    (`parity.io.atomic.atomic_directory` checks again when it writes)."""
    try:
        check_out_dir(text)
    except ParityError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def files_dir(text: str) -> Path:
    """The argparse ``type`` of an ``--out DIR`` that a command writes named files
    into without replacing the folder (``parity simulate``):
    `parity.io.outdir.check_files_dir`."""
    try:
        return check_files_dir(text)
    except ParityError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def out_file(text: str) -> str:
    """The argparse ``type`` of an ``--out FILE`` naming one file the command
    writes (``parity calibrate``): `parity.io.outdir.check_out_file`."""
    try:
        check_out_file(text)
    except ParityError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_params_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--params-json JSON`` or ``--params-file FILE``, and ``--param
    KEY=VALUE`` (repeatable); read them back with `params_from_args`."""
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--params-json",
        default=None,
        metavar="JSON",
        help="calculator parameters as a JSON object, e.g. '{\"poc_distance_threshold\": 2.5}'",
    )
    source.add_argument(
        "--params-file",
        type=Path,
        default=None,
        metavar="FILE",
        help=(
            "calculator parameters from a JSON or TOML file: a mapping of names to values "
            "(top level, or under a 'params' key/table); see calculators.Params"
        ),
    )
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set one parameter, e.g. --param lookback_period=30 (repeatable; overrides --params-file)",
    )


def params_from_args(args: argparse.Namespace) -> Params:
    """The `Params` of ``--params-file`` then ``--param`` (later wins); defaults if neither.

    Unknown names and bad values raise `calculators.InvalidInputError` naming the key;
    an unreadable file or a malformed ``--param`` raises `ParityError`.
    """
    values: dict[str, Any] = {}
    text = getattr(args, "params_json", None)
    if text is not None:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParityError(f"--params-json is not valid JSON: {exc}") from None
        except RecursionError:
            raise too_deep("--params-json") from None
        check_nesting(data, "--params-json")
        if not isinstance(data, dict):
            raise ParityError("--params-json must be a JSON object of parameter names to values")
        values.update(data)
    path = getattr(args, "params_file", None)
    if path is not None:
        values.update(_read_params_file(Path(path)))
    for item in getattr(args, "param", None) or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ParityError(f"bad --param {item!r}: use KEY=VALUE, e.g. lookback_period=30")
        values[key.strip()] = value.strip()
    return Params.from_dict(values)


def _read_params_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ParityError(f"cannot read --params-file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise ParityError(
            f"--params-file {path} is not UTF-8 text (byte {exc.start}: {exc.reason})"
        ) from None
    try:
        if path.suffix.lower() == ".toml":
            data: Any = tomllib.loads(text)
        else:
            data = json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ParityError(
            f"--params-file {path}: not valid {path.suffix or 'JSON'}: {exc}"
        ) from None
    except RecursionError:
        raise too_deep(f"--params-file {path}") from None
    check_nesting(data, f"--params-file {path}")
    if isinstance(data, dict) and isinstance(data.get("params"), dict):
        data = data["params"]
    if not isinstance(data, dict):
        raise ParityError(f"--params-file {path}: expected a mapping of parameter names to values")
    return data


#: Deepest nesting of tables and lists a JSON/TOML input (a parity.json, a
#: parameter file) may have; a real one has under 10 levels, and every reader
#: of it recurses.
MAX_NESTING = 32


def check_nesting(document: object, what: str) -> None:
    """`ParityError` naming ``what`` when ``document`` nests dicts and lists
    deeper than `MAX_NESTING` (measured without recursion)."""
    stack = [(document, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            if level > MAX_NESTING:
                raise too_deep(what)
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, level + 1) for child in children)


def too_deep(what: str) -> ParityError:
    """The error for an input nested deeper than `MAX_NESTING` (or than the parser copes with)."""
    return ParityError(f"{what} is nested too deeply (over {MAX_NESTING} levels)")


def add_scheduler_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--scheduler ADDRESS`` (default ``$PARITY_DASK_SCHEDULER``): run the
    tasks on that Dask cluster instead of local processes (`parity.execution`)."""
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help=(
            "run on the Dask cluster of this scheduler, e.g. tcp://10.0.0.5:8786 "
            "(default: $PARITY_DASK_SCHEDULER, else local processes). Workers read the "
            "database themselves: the DSN is sent without its password; give them "
            "PGPASSWORD/PGPASSFILE or PARITY_DSN."
        ),
    )
