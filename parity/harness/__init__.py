"""The parity harness: candle-only calculators vs the rows a live engine stored.

- `config`: ``parity.toml`` (schema mapping, tolerances, gate, ignore rules);
- `source`: read-only reads of candles and live rows; `align`: live row -> bar;
- `compare`: minute-by-minute comparison and statistics (pure);
- `runner`: one parity run over symbols; `gate`: thresholds and ratchet;
- `report`: ``parity.json`` and its renderings (Markdown, HTML, JUnit).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from parity.common.estimation import settings_of
from parity.db.connect import redact_dsn
from parity.execution import Progress
from parity.harness.config import HarnessConfig
from parity.harness.gate import evaluate
from parity.harness.report import build_report, write_report
from parity.harness.runner import SymbolResult, run_symbols

__all__ = ["ParityRun", "run_parity"]


@dataclass(frozen=True)
class ParityRun:
    """A finished run: the ``parity.json`` document and the symbols' results."""

    report: dict
    results: list[SymbolResult]

    @property
    def passed(self) -> bool:
        return self.report["verdict"] == "pass"


def run_parity(
    dsn: str,
    config: HarnessConfig,
    symbols: list[str],
    *,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    out: str | Path | None = None,
    jobs: int = 1,
    config_path: str | None = None,
    extra: dict | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
) -> ParityRun:
    """Compare ``symbols``, judge the gate and (with ``out``) write the report.

    ``extra`` adds sections per symbol to the report (e.g. trade-level parity).
    ``jobs`` / ``scheduler``: where the symbols run (`parity.execution`);
    ``progress(fraction)``: symbols done / total.
    """
    results = run_symbols(
        dsn, config, symbols, start, end, jobs, config_path, scheduler=scheduler, progress=progress
    )
    summaries = {r.summary["symbol"]: r.summary for r in results}
    run = {
        "database": redact_dsn(dsn),
        "config": config_path or "(defaults)",
        "params": config.params.to_dict(),
        "params_hash": config.params.digest(),
        "candle_settings": settings_of(config.params),
        "symbols": symbols,
        "start": start.isoformat() if start is not None else None,
        "end": end.isoformat() if end is not None else None,
    }
    report = build_report(results, evaluate(summaries, config.checks), run, extra)
    if out is not None:
        write_report(out, report, results)
    return ParityRun(report=report, results=results)
