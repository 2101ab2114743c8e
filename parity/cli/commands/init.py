"""``parity init --from parity.json``: write a starter ``parity.toml`` whose
thresholds are today's measured values less a margin (`parity.harness.init`)."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from parity.cli.commands.gate import read_report
from parity.cli.errors import EXIT_OK, ParityError
from parity.harness.config import load_config
from parity.harness.init import starter_config
from parity.io.atomic import atomic_file

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "init", help="write a starter parity.toml with thresholds from a measured parity.json"
    )
    parser.add_argument("--from", dest="source", type=Path, required=True, metavar="PARITY_JSON")
    parser.add_argument(
        "--margin",
        type=float,
        default=0.02,
        metavar="M",
        help="how much below today's values the thresholds sit (0..100, default 0.02)",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("parity.toml"), metavar="FILE", help="default: parity.toml"
    )
    parser.add_argument("--force", action="store_true", help="replace an existing --out file")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.out.exists() and not args.force:
        raise ParityError(f"{args.out} exists; pass --force to replace it")
    report = read_report(args.source, "report")
    text = starter_config(report, args.margin, str(args.source))
    with tempfile.TemporaryDirectory() as scratch:  # it must load before it is written
        check = Path(scratch) / "parity.toml"
        check.write_text(text, encoding="utf-8")
        config = load_config(check)
    if not config.checks:
        raise ParityError(
            f"report {args.source} has no finite starter statistic in any symbol "
            "(e.g. metrics.state.match_rate): no threshold to write, nothing written"
        )
    with atomic_file(args.out) as handle:
        handle.write(text)
    print(f"wrote {args.out}: {len(config.checks)} thresholds", file=sys.stderr)
    return EXIT_OK
