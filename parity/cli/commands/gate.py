"""``parity gate parity.json``: re-judge a stored result, offline, optionally
against a committed baseline (a ratchet: parity may only improve)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from parity.cli.errors import EXIT_GATE_FAILED, EXIT_OK, ParityError
from parity.cli.options import check_nesting, too_deep
from parity.harness.config import load_config
from parity.harness.diff import render_diff, report_diff
from parity.harness.gate import check_shape, evaluate, ratchet

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "gate",
        help="re-check a stored parity.json against the thresholds (and a baseline) without a database",
    )
    parser.add_argument("report", type=Path, metavar="PARITY_JSON")
    parser.add_argument(
        "--config", default=None, metavar="FILE", help="parity.toml with the thresholds"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        default=None,
        metavar="FILE",
        help="a committed parity.json to ratchet against",
    )
    parser.set_defaults(func=run)


def read_report(path: Path, what: str) -> dict:
    """The parity.json document in ``path``; `ParityError` naming it when unreadable."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParityError(f"{what} {path} not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParityError(f"{what} {path} is not a readable parity.json: {exc}") from None
    except RecursionError:
        raise too_deep(f"{what} {path}") from None
    check_nesting(document, f"{what} {path}")
    if not isinstance(document, dict) or not isinstance(document.get("symbols"), dict):
        raise ParityError(f"{what} {path} is not a parity.json (no 'symbols' section)")
    return document


def run(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if not config.checks:
        raise ParityError(
            "nothing to gate: the config has no thresholds; add [gate.<metric>] tables "
            "(e.g. [gate.state] min_match_rate = 0.7) and pass it with --config"
        )
    current = read_report(args.report, "report")
    check_shape(current["symbols"], config.checks, f"report {args.report}")
    verdicts = evaluate(current["symbols"], config.checks)
    baseline = None
    if args.baseline is not None:
        baseline = read_report(args.baseline, "baseline")
        check_shape(baseline["symbols"], config.checks, f"baseline {args.baseline}")
        verdicts += ratchet(current["symbols"], baseline["symbols"], config)
    if not verdicts:
        raise ParityError(f"nothing to gate: report {args.report} has no symbols")
    for v in verdicts:
        mark = "pass" if v["passed"] else "FAIL"
        print(
            f"{mark}  {v['name']}: {v['value']} ({'>=' if v['op'] == 'min' else '<='} {v['threshold']})"
        )
    failed = sum(not v["passed"] for v in verdicts)
    if baseline is not None and any(
        not v["passed"] for v in verdicts if v.get("kind") == "ratchet"
    ):
        print(f"what moved since the baseline {args.baseline}:")
        print(render_diff(report_diff(baseline, current)), end="")
    print(f"gate: {'PASS' if not failed else f'FAIL ({failed} of {len(verdicts)})'}")
    return EXIT_OK if not failed else EXIT_GATE_FAILED
