"""``parity diff OLD.json NEW.json``: every per-symbol statistic that moved
beyond ``--tolerance`` (`parity.harness.diff`).  Exit 0 when nothing moved,
1 when something did (like ``diff``), 2 on unreadable input."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from parity.cli.commands.gate import read_report
from parity.cli.errors import EXIT_GATE_FAILED, EXIT_OK, ParityError
from parity.harness.diff import render_diff, report_diff
from parity.harness.gate import check_shape

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "diff", help="list the statistics that moved between two parity.json files"
    )
    parser.add_argument("old", type=Path, metavar="OLD_JSON")
    parser.add_argument("new", type=Path, metavar="NEW_JSON")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=1e-9,
        metavar="X",
        help="ignore changes up to X (absolute, in each statistic's unit; default 1e-9)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.tolerance >= 0:
        raise ParityError("--tolerance must be >= 0")
    documents = []
    for path, what in ((args.old, "old report"), (args.new, "new report")):
        document = read_report(path, what)
        check_shape(document["symbols"], (), f"{what} {path}")
        documents.append(document)
    rows = report_diff(*documents, args.tolerance)
    sys.stdout.write(render_diff(rows))
    return EXIT_GATE_FAILED if rows else EXIT_OK
