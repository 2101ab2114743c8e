"""What commands print: short tables on stdout, notes on stderr, and the
Markdown summary appended to ``$GITHUB_STEP_SUMMARY``."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from parity.db.tables import LIVE_COLUMNS
from parity.harness.report import SUMMARY_FIGURES, UNGATED_NOTE, render_markdown
from parity.worlds import ReplayOutcome, WorldOutcome

__all__ = ["append_step_summary", "print_summary", "replay_lines", "world_lines"]


def print_summary(report: Mapping, seconds: float, out: str | Path | None) -> None:
    """The verdict and the key figures per symbol, then where the report is.

    With ``out`` (a report was written) the Markdown summary is also appended
    to ``$GITHUB_STEP_SUMMARY`` when that is set (`append_step_summary`).
    """
    if out is not None:
        append_step_summary(report)
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
    if not report["gate"]:
        verdict = "UNGATED"
    print(f"\nparity: {verdict} in {seconds:.1f} s", file=sys.stderr)
    for v in failed[:10]:
        print(
            f"  failed {v['name']}: {v['value']} (needs {'>=' if v['op'] == 'min' else '<='} {v['threshold']})",
            file=sys.stderr,
        )
    if out is not None:
        print(f"report: {Path(out).resolve() / 'report.html'}", file=sys.stderr)
    if not report["gate"]:
        print(f"parity: {UNGATED_NOTE}", file=sys.stderr)


def append_step_summary(report: Mapping) -> None:
    """Append the report's Markdown summary to ``$GITHUB_STEP_SUMMARY`` if set.

    A file that cannot be written costs one note on stderr, never the run's
    exit code (the verdict's)."""
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        try:
            with open(summary_file, "a", encoding="utf-8") as handle:
                handle.write(render_markdown(report))
        except OSError as exc:
            reason = exc.strerror or exc.__class__.__name__
            print(
                f"parity: note: could not append the summary to $GITHUB_STEP_SUMMARY "
                f"({summary_file}): {reason}",
                file=sys.stderr,
            )


def world_lines(outcome: WorldOutcome) -> list[str]:
    """A short human report of a world build: its notes, then its replay's."""
    return [*outcome.lines, *(replay_lines(outcome.replay) if outcome.replay else [])]


def replay_lines(outcome: ReplayOutcome) -> list[str]:
    """A short human report of a replay: window, rows, imperfections, speed."""
    live = outcome.live
    inj = live.injected
    imp = inj.imperfections
    hours = (live.end - live.start) / pd.Timedelta(hours=1)
    lines = [
        f"replayed {outcome.symbol}: bars opened in [{_fmt(live.start)}, {_fmt(live.end)}) "
        f"({hours:g} h, {inj.bars_in_window:,} bars with trades; "
        f"{outcome.trades_read:,} trades read for the warm-up)",
        f"rows written: {outcome.rows_written:,} ({live.rows_per_table:,} in each of "
        f"{', '.join(LIVE_COLUMNS)})"
        + (f"; {outcome.rows_deleted:,} old rows deleted first" if outcome.rows_deleted else ""),
    ]
    low, high = imp.write_delay_seconds
    if high == 0:
        delay = "write delay none (rows at the bar close)"
    else:
        drawn = (
            f", drawn {inj.delay_min_seconds:.3f}..{inj.delay_max_seconds:.3f} s"
            if live.rows_per_table
            else ""
        )
        delay = f"write delay {low:g}..{high:g} s{drawn}"
    if inj.gaps:
        gaps = (
            "; ".join(
                f"restart gap {_fmt(g.start)} to {_fmt(g.end)} ({g.minutes} min)" for g in inj.gaps
            )
            + f" ({inj.bars_in_gaps} bars without rows)"
        )
    else:
        gaps = "no restart gap"
    if inj.duplicated:
        shown = ", ".join(_fmt(t) for t in inj.duplicated[:5])
        more = f" and {len(inj.duplicated) - 5} more" if len(inj.duplicated) > 5 else ""
        dups = f"{len(inj.duplicated)} bars written twice ({shown}{more})"
    else:
        dups = "no duplicates"
    lines.append(f"imperfections: {delay}; {gaps}; {dups}")
    rate = outcome.rows_written / outcome.seconds if outcome.seconds > 0 else float("inf")
    lines.append(f"replay elapsed {outcome.seconds:.2f} s, {rate:,.0f} rows/s")
    return lines


def _fmt(t: pd.Timestamp) -> str:
    return t.strftime("%Y-%m-%d %H:%M")
