"""What commands print: short tables on stdout, notes on stderr."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from parity.harness.report import SUMMARY_FIGURES

__all__ = ["print_summary"]


def print_summary(report: Mapping, seconds: float, out: str | Path | None) -> None:
    """The verdict and the key figures per symbol, then where the report is."""
    symbols = report["symbols"]
    names = sorted(symbols)
    width = max([len(label) for label, *_ in SUMMARY_FIGURES] + [6])
    cols = [max(10, len(n)) for n in names]
    print(f"{'':{width}}  " + "  ".join(f"{n:>{c}}" for n, c in zip(names, cols, strict=True)))
    rows = [("compared minutes", [str(symbols[n]["compared_minutes"]) for n in names])]
    for label, metric, stat, pattern in SUMMARY_FIGURES:
        values = [symbols[n].get("metrics", {}).get(metric, {}).get(stat) for n in names]
        rows.append((label, ["n/a" if v is None else pattern.format(v) for v in values]))
    if any("trades" in symbols[n] for n in names):
        shares = [symbols[n].get("trades", {}).get("match_share") for n in names]
        rows.append(
            ("trades matched (vs live)", ["n/a" if v is None else f"{v:.1%}" for v in shares])
        )
    for label, cells in rows:
        print(
            f"{label:{width}}  " + "  ".join(f"{v:>{c}}" for v, c in zip(cells, cols, strict=True))
        )
    failed = [v for v in report["gate"] if not v["passed"]]
    verdict = "PASS" if not failed else f"FAIL ({len(failed)} of {len(report['gate'])} thresholds)"
    print(f"\nparity: {verdict} in {seconds:.1f} s", file=sys.stderr)
    for v in failed[:10]:
        print(
            f"  failed {v['name']}: {v['value']} (needs {'>=' if v['op'] == 'min' else '<='} {v['threshold']})",
            file=sys.stderr,
        )
    if out is not None:
        print(f"report: {Path(out).resolve() / 'report.html'}", file=sys.stderr)
