"""Files of a backtest (``--out``) and of a sweep, written atomically.

Backtest: ``result.json`` (`backtest.BacktestResult.to_json`, stable bytes),
``trades.csv``, ``equity.csv`` and a self-contained ``report.html`` (equity
curve, trades drawn on the price).  Sweep: ``sweep.csv``, ``sweep.md`` and
``sweep.html`` (heat maps of trade count and net P&L per combination).
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from backtest import BacktestResult
from parity.common import svg
from parity.common.page import render_page
from parity.io.atomic import atomic_directory

__all__ = ["sweep_markdown", "write_backtest", "write_backtests", "write_sweep"]


def write_backtest(out: str | Path, result: BacktestResult, candles: pd.DataFrame) -> Path:
    """Write the four files of a backtest into ``out`` (atomically)."""
    with atomic_directory(out) as staging:
        _backtest_files(staging, result, candles)
    return Path(out)


def write_backtests(
    out: str | Path,
    results: list[BacktestResult],
    candles_of: Callable[[BacktestResult], pd.DataFrame],
    summary: list[dict],
) -> Path:
    """Write several backtests into ``out`` (atomically): one directory per
    symbol with the four files of `write_backtest` (``candles_of(result)``: the
    candles its report draws) and ``summary.csv`` (one row per symbol)."""
    with atomic_directory(out) as staging:
        for result in results:
            folder = staging / result.symbol
            folder.mkdir()
            _backtest_files(folder, result, candles_of(result))
        pd.DataFrame(summary).to_csv(staging / "summary.csv", index=False)
    return Path(out)


def _backtest_files(folder: Path, result: BacktestResult, candles: pd.DataFrame) -> None:
    (folder / "result.json").write_text(result.to_json() + "\n", encoding="utf-8")
    result.trades.to_csv(folder / "trades.csv", index=False)
    result.equity.rename_axis("ts").to_csv(folder / "equity.csv")
    (folder / "report.html").write_text(_backtest_html(result, candles), encoding="utf-8")


def _backtest_html(result: BacktestResult, candles: pd.DataFrame) -> str:
    bars = candles.loc[result.equity.index]
    trades = result.trades
    stats = "".join(
        f"<tr><td style='text-align:left'>{html.escape(k)}</td><td>{html.escape(str(v))}</td></tr>"
        for k, v in result.to_dict()["stats"].items()
    )
    longs, shorts = trades[trades["side"] == "long"], trades[trades["side"] == "short"]
    charts = [
        svg.line_chart(
            "Equity (quote currency)",
            result.equity.index,
            [("equity", result.equity.to_numpy(), "#4a78c2", "")],
        ),
        svg.line_chart(
            "Price with the trades",
            bars.index,
            [("close", bars["close"].to_numpy(), "#222222", "")],
            markers=[
                (
                    "long entry",
                    pd.DatetimeIndex(longs["entry_time"]),
                    longs["entry_price"].to_numpy(),
                    "#2e9e5b",
                ),
                (
                    "short entry",
                    pd.DatetimeIndex(shorts["entry_time"]),
                    shorts["entry_price"].to_numpy(),
                    "#d64545",
                ),
                (
                    "exit",
                    pd.DatetimeIndex(trades["exit_time"]),
                    trades["exit_price"].to_numpy(),
                    "#c2a01a",
                ),
            ],
        ),
    ]
    params = html.escape(json.dumps(result.params, indent=1))
    body = (
        f"<p>{html.escape(result.symbol)}: {result.start.isoformat()} to {result.end.isoformat()}</p>"
        f"<table>{stats}</table>{''.join(charts)}<details><summary>Parameters</summary><pre>{params}</pre></details>"
    )
    return render_page(f"Backtest {result.symbol}", body)


def sweep_markdown(table: pd.DataFrame) -> str:
    """The sweep table as Markdown."""
    head = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "---|" * len(table.columns)
    rows = [
        "| " + " | ".join(_cell(v) for v in row) + " |" for row in table.itertuples(index=False)
    ]
    return "\n".join([head, rule, *rows]) + "\n"


def _cell(value) -> str:
    if isinstance(value, float):
        return "n/a" if not np.isfinite(value) else f"{value:.4g}"
    return str(value)


def write_sweep(out: str | Path, table: pd.DataFrame, grid: dict[str, list]) -> Path:
    """Write ``sweep.csv``, ``sweep.md`` and ``sweep.html`` into ``out`` (atomically)."""
    names = list(grid)
    columns = [str(v) for v in grid[names[-1]]]
    keys = (
        table[names[:-1]].astype(str).agg(", ".join, axis=1)
        if len(names) > 1
        else pd.Series(["all"] * len(table))
    )
    rows = list(dict.fromkeys(keys))
    charts = []
    for stat, fmt in (("trade_count", "{:.0f}"), ("net_pnl", "{:.2f}")):
        matrix = np.full((len(rows), len(columns)), np.nan)
        for k, col, value in zip(keys, table[names[-1]].astype(str), table[stat], strict=True):
            matrix[rows.index(k), columns.index(col)] = value
        label = ", ".join(names[:-1]) or "-"
        charts.append(
            svg.heatmap(f"{stat}: rows {label}; columns {names[-1]}", rows, columns, matrix, fmt)
        )
    with atomic_directory(out) as staging:
        table.to_csv(staging / "sweep.csv", index=False)
        (staging / "sweep.md").write_text(sweep_markdown(table), encoding="utf-8")
        (staging / "sweep.html").write_text(
            render_page("Parameter sweep", "".join(charts)), encoding="utf-8"
        )
    return Path(out)
