"""The HTML report's data: everything the page shows, built from ``parity.json``
and the symbols' results, before any HTML (rendered by
`parity.harness.report.render_html` with ``templates/report.html``).

`build_view` returns a `ReportView`: the overview rows (one per symbol,
pass/fail), the gate verdicts, the run facts and per symbol a `SymbolView`:
its facts, every statistic of every metric (generic: a statistic added later
shows up without a change here), the linked time-series figure (plotly),
both trade lists and the divergence episodes with their drill-down figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from calculators import STATES
from parity.common.plots import PIXELS, compact, time_trace_arrays
from parity.harness.runner import SymbolResult

__all__ = ["OVERVIEW_FIGURES", "ReportView", "SymbolView", "build_view"]

#: Columns of the overview table: (label, metric, statistic, format).
OVERVIEW_FIGURES = (
    ("state agreement", "state", "match_rate", "{:.1%}"),
    ("kappa", "state", "kappa", "{:.3f}"),
    ("POC match", "poc", "match_rate", "{:.1%}"),
    ("VA IoU", "value_area", "mean_iou", "{:.3f}"),
    ("buy pressure err (pts)", "buy_pressure", "mean_error", "{:.2f}"),
    ("coverage", "coverage", "share", "{:.1%}"),
)
STATE_COLOURS = {"BALANCE": "#9aa5b1", "IMBALANCE_UP": "#2e9e5b", "IMBALANCE_DOWN": "#d64545"}
LIVE, CALC = "#1f5fbf", "#e0701b"
LEVEL_COLOURS = {"poc": "#c2571a", "vah": "#4a78c2", "val": "#7a4ac2"}
_EMPTY = go.layout.Template()


@dataclass
class SymbolView:
    """One symbol's part of the page (see the module docstring)."""

    symbol: str
    passed: bool
    facts: list[tuple[str, str]]
    statistics: dict[str, dict[str, object]]
    other: dict[str, object]
    confusion: dict | None
    timeline: go.Figure | None
    downsampled: bool
    trades: list[dict]
    trade_summary: dict | None
    episodes: list[dict] = field(default_factory=list)


@dataclass
class ReportView:
    """The whole page's data."""

    verdict: str
    run: list[tuple[str, str]]
    overview: list[dict]
    gate: list[dict]
    symbols: list[SymbolView]


def _fmt(value, pattern: str = "{:.4g}") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return pattern.format(value)


#: Run facts shown under a name of their own.
_FACT_LABELS = {"candle_settings": "Candle-side settings"}


def _fact(value) -> str:
    """A run fact as text: lists joined, mappings as ``key=value`` pairs
    (e.g. the candle-side settings), numbers formatted."""
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return _fmt(value)


def build_view(
    report: Mapping, results: Sequence[SymbolResult], figures: bool = True
) -> ReportView:
    """The `ReportView` of a parity run (``figures=False``: no plotly figures)."""
    failed_by_symbol: dict[str, int] = {}
    for v in report["gate"]:
        failed_by_symbol[v["symbol"]] = failed_by_symbol.get(v["symbol"], 0) + (not v["passed"])
    by_symbol = {r.summary["symbol"]: r for r in results}
    overview, views = [], []
    for name in sorted(report["symbols"]):
        summary = report["symbols"][name]
        failed = failed_by_symbol.get(name, 0)
        metrics = summary.get("metrics", {})
        overview.append(
            {
                "symbol": name,
                "passed": failed == 0,
                "failed": failed,
                "window": _span(summary.get("window", {})),
                "compared": summary.get("compared_minutes"),
                "figures": [
                    (label, metrics.get(m, {}).get(s), pattern)
                    for label, m, s, pattern in OVERVIEW_FIGURES
                ],
                "trades": (summary.get("trades") or {}).get("match_share"),
            }
        )
        if name in by_symbol:
            views.append(_symbol_view(summary, by_symbol[name], failed == 0, figures))
    run = report.get("run", {})
    facts = [(_FACT_LABELS.get(k, k), _fact(v)) for k, v in run.items() if k != "params"]
    repro = report.get("reproducibility") or {}
    facts += [(k, _fmt(v)) for k, v in repro.items() if not isinstance(v, dict)]
    facts += [(f"{k} version", str(v)) for k, v in (repro.get("versions") or {}).items()]
    return ReportView(report["verdict"], facts, overview, list(report["gate"]), views)


def _span(window: Mapping) -> str:
    """``2025-01-01 01:00 → 01-02 02:00`` (the end's year dropped when the same)."""
    start, end = str(window.get("start", ""))[:16], str(window.get("end", ""))[:16]
    start, end = start.replace("T", " "), end.replace("T", " ")
    if start[:5] == end[:5]:
        end = end[5:]
    return f"{start} → {end}"


def _symbol_view(
    summary: Mapping, result: SymbolResult, passed: bool, figures: bool = True
) -> SymbolView:
    window = summary.get("window", {})
    live_rows = summary.get("live_rows", {})
    coverage = summary.get("metrics", {}).get("coverage", {})
    facts = [
        (
            "window (UTC)",
            f"{window.get('start', '')} → {window.get('end', '')} ({window.get('minutes')} min)",
        ),
        ("compared minutes", _fmt(summary.get("compared_minutes"))),
        ("warm-up minutes (not compared)", _fmt(summary.get("warmup_minutes"))),
        ("coverage (minutes with every live table)", _fmt(coverage.get("share"), "{:.1%}")),
    ]
    for table, share in (coverage.get("per_table") or {}).items():
        facts.append((f"coverage of {table}", _fmt(share, "{:.1%}")))
    for key, value in live_rows.items():
        if isinstance(value, dict):
            value = ", ".join(f"{t} {n}" for t, n in value.items())
        facts.append((f"live rows: {key.replace('_', ' ')}", _fmt(value)))
    facts.append(("tick size", _fmt(summary.get("tick_size"))))
    statistics = {}
    confusion = None
    for metric, stats in summary.get("metrics", {}).items():
        row = {k: v for k, v in stats.items() if isinstance(v, int | float | str | type(None))}
        if isinstance(stats.get("episodes"), dict):
            row["episodes"] = stats["episodes"].get("count")
            row["longest episode (min)"] = stats["episodes"].get("longest")
        statistics[metric] = row
        confusion = stats.get("confusion", confusion)
    known = {"symbol", "tick_size", "window", "candles_in_window", "warmup_minutes",
             "compared_minutes", "live_rows", "metrics", "trades"}  # fmt: skip
    other = {k: v for k, v in summary.items() if k not in known}
    timeline, downsampled = _timeline(result) if figures else (None, False)
    return SymbolView(
        symbol=summary["symbol"],
        passed=passed,
        facts=facts,
        statistics=statistics,
        other=other,
        confusion=confusion,
        timeline=timeline,
        downsampled=downsampled,
        trades=_trade_rows(result),
        trade_summary=summary.get("trades"),
        episodes=[dict(e, figure=_episode_figure(e) if figures else None) for e in result.episodes],
    )


def _trade_rows(result: SymbolResult) -> list[dict]:
    walks = result.trades
    if walks is None:
        return []
    matched_calc = {i: j for i, j in walks.matched}
    matched_live = {j: i for i, j in walks.matched}
    rows = []
    for who, frame, pairs in (
        ("calculated", walks.calculated, matched_calc),
        ("live", walks.live, matched_live),
    ):
        for k, trade in enumerate(frame.itertuples(index=False)):
            rows.append(
                {
                    "side_of": who,
                    "matched": k in pairs,
                    "entry_time": pd.Timestamp(trade.entry_time),
                    "exit_time": pd.Timestamp(trade.exit_time),
                    "side": trade.side,
                    "entry_price": float(trade.entry_price),
                    "exit_price": float(trade.exit_price),
                    "pnl": float(trade.pnl),
                    "reason": trade.reason,
                }
            )
    rows.sort(key=lambda r: (r["entry_time"], r["side_of"]))
    return rows


def _regular(series: pd.DataFrame) -> pd.DataFrame:
    """The series on every minute of its span (NaN where no bar), so x0/dx fit."""
    if series.empty:
        return series
    full = pd.date_range(series.index[0], series.index[-1], freq="1min")
    return series.reindex(full)


def _timeline(result: SymbolResult) -> tuple[go.Figure | None, bool]:
    """Price with both sides' POC/VAH/VAL and trades, state ribbons, CVD and
    buy pressure, one figure with linked x-axes."""
    series = _regular(result.series)
    if series.empty:
        return None, False
    index = series.index
    fig = make_subplots(
        rows=4, cols=1, shared_xaxes=True, vertical_spacing=0.035,
        row_heights=[0.46, 0.1, 0.22, 0.22],
        subplot_titles=("Price: live (solid) vs calculated (dashed) POC / VAH / VAL; trades",
                        "Market state", "Cumulative delta (window)", "Buy pressure (%)"),
    )  # fmt: skip
    downsampled = False

    def line(column, name, colour, row, dash=None, width=1.3, group=None, show=True):
        nonlocal downsampled
        if column not in series:
            return
        arrays, thinned = time_trace_arrays(index, series[column])
        downsampled |= thinned
        fig.add_trace(
            go.Scatter(
                **arrays, name=name, mode="lines", legendgroup=group or name, showlegend=show,
                line={"color": colour, "dash": dash, "width": width}, connectgaps=False,
            ),
            row=row, col=1,
        )  # fmt: skip

    line("close", "close", "#222222", 1, width=1.0)
    for level, colour in LEVEL_COLOURS.items():
        line(f"live_{level}", f"live {level.upper()}", colour, 1, group=f"live {level}")
        line(
            f"calc_{level}", f"calc {level.upper()}", colour, 1, dash="dash", group=f"calc {level}"
        )
    _trade_markers(fig, _trade_rows(result))
    codes = {s: i for i, s in enumerate(STATES)}
    if "live_state" in series:
        z = [
            [None if v != v else int(v) for v in series[c].map(codes).astype(float)]
            for c in ("live_state", "calc_state")
        ]
        scale = []
        for i, s in enumerate(STATES):
            scale += [[i / 3, STATE_COLOURS[s]], [(i + 1) / 3, STATE_COLOURS[s]]]
        fig.add_trace(
            go.Heatmap(
                z=z, x0=index[0].tz_localize(None).isoformat(), dx=60_000, y=["live", "calculated"],
                zmin=-0.5, zmax=2.5, colorscale=scale, showscale=False, name="state",
                hovertemplate="%{y} state: %{z} (" + ", ".join(f"{i} {s}" for i, s in enumerate(STATES)) + ")<extra></extra>",
            ),
            row=2, col=1,
        )  # fmt: skip
    line("live_cumulative_delta", "live CVD", LIVE, 3)
    line("calc_cumulative_delta", "calc CVD", CALC, 3, dash="dash")
    line("live_buy_pressure", "live buy pressure", LIVE, 4)
    line("calc_buy_pressure", "calc buy pressure", CALC, 4, dash="dash")
    note = (
        f"downsampled for display: min/max per pixel column ({len(index)} minutes → ≤ {2 * PIXELS} points a line; every spike kept)"
        if downsampled
        else f"every minute shown ({len(index)} minutes)"
    )
    fig.add_annotation(text=note, xref="paper", yref="paper", x=1, y=1.045, showarrow=False,
                       font={"size": 11, "color": "#57606a"}, xanchor="right")  # fmt: skip
    for state, colour in STATE_COLOURS.items():  # legend entries for the ribbon colours
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=state,
                                 marker={"color": colour, "symbol": "square", "size": 10}), row=2, col=1)  # fmt: skip
    fig.update_layout(
        template=_EMPTY, height=900, hovermode="x unified", margin={"l": 60, "r": 20, "t": 60, "b": 40},
        legend={"orientation": "h", "y": -0.05, "font": {"size": 11}}, font={"size": 12},
        plot_bgcolor="#ffffff", paper_bgcolor="#ffffff", dragmode="zoom",
    )  # fmt: skip
    fig.update_xaxes(
        type="date",
        showgrid=True,
        gridcolor="#eef0f2",
        showspikes=True,
        spikemode="across",
        spikethickness=1,
    )
    fig.update_yaxes(showgrid=True, gridcolor="#eef0f2", zeroline=False)
    fig.update_xaxes(rangeslider={"visible": False})
    span = [index[0].tz_localize(None).isoformat(), index[-1].tz_localize(None).isoformat()]
    fig.update_xaxes(range=span)
    return fig, downsampled


def _trade_markers(fig: go.Figure, trades: list[dict]) -> None:
    for who, colour in (("calculated", CALC), ("live", LIVE)):
        for matched in (True, False):
            picked = [t for t in trades if t["side_of"] == who and t["matched"] == matched]
            if not picked:
                continue
            fig.add_trace(
                go.Scatter(
                    x=[t["entry_time"].tz_localize(None).isoformat() for t in picked],
                    y=[t["entry_price"] for t in picked],
                    mode="markers",
                    name=f"{who} trades, {'matched' if matched else 'unmatched'}",
                    marker={
                        "color": colour, "size": 11 if matched else 10,
                        "symbol": [("triangle-up" if t["side"] == "long" else "triangle-down") + ("" if matched else "-open") for t in picked],
                        "line": {"width": 2, "color": colour},
                    },
                    text=[f"{who} {t['side']} {'matched' if matched else 'UNMATCHED'}: {t['entry_price']:.6g} → {t['exit_price']:.6g} ({t['reason']}), P&L {t['pnl']:.2f}" for t in picked],
                    hovertemplate="%{text}<extra></extra>",
                ),
                row=1, col=1,
            )  # fmt: skip


def _episode_figure(episode: Mapping) -> go.Figure:
    """The first minute of an episode: the candle window, the calculated
    volume at price and the live engine's levels, on one price axis."""
    fig = make_subplots(
        rows=1, cols=3, shared_yaxes=True, column_widths=[0.5, 0.3, 0.2], horizontal_spacing=0.02,
        subplot_titles=("Candle window (lookback); live levels solid, calculated dashed", "Calculated volume at price", "Levels"),
    )  # fmt: skip
    candles = episode["candles"]
    times = [t[:19] for t in candles["time"]]
    fig.add_trace(
        go.Candlestick(x=times, open=compact(candles["open"]), high=compact(candles["high"]),
                       low=compact(candles["low"]), close=compact(candles["close"]), name="candles",
                       showlegend=False),
        row=1, col=1,
    )  # fmt: skip
    profile = episode["profile"]
    live = episode["live_profile"]
    fig.add_trace(
        go.Bar(x=compact(profile["volume"]), y=compact(profile["price"]), orientation="h", name="calculated volume",
               marker={"color": CALC, "line": {"width": 0}}, showlegend=False,
               hovertemplate="%{y}: %{x:.4g}<extra>volume at price</extra>"),
        row=1, col=2,
    )  # fmt: skip
    volumes = [v for v in profile["volume"] if v is not None]
    width = max(volumes) if volumes else 1.0
    for level, colour in LEVEL_COLOURS.items():
        for who, value, dash in (
            ("live", live.get(level), "solid"),
            ("calc", profile.get(level), "dash"),
        ):
            if value is None:
                continue
            label = f"{who} {level.upper()} {value:.6g}"
            fig.add_hline(y=value, line={"color": colour, "dash": dash, "width": 1.2}, row=1, col=1)
            fig.add_trace(
                go.Scatter(x=[0, width], y=[value, value], mode="lines", name=label, showlegend=False,
                           line={"color": colour, "dash": dash, "width": 1.5}, hovertemplate=label + "<extra></extra>"),
                row=1, col=2,
            )  # fmt: skip
            fig.add_trace(
                go.Scatter(x=[0, 1], y=[value, value], mode="lines+text", name=label, showlegend=False,
                           text=["", label], textposition="top left", textfont={"size": 10, "color": colour},
                           line={"color": colour, "dash": dash, "width": 2}, hovertemplate=label + "<extra></extra>"),
                row=1, col=3,
            )  # fmt: skip
    fig.update_layout(template=_EMPTY, height=420, margin={"l": 60, "r": 20, "t": 40, "b": 30},
                      plot_bgcolor="#ffffff", showlegend=False, font={"size": 12})  # fmt: skip
    fig.update_xaxes(rangeslider={"visible": False}, showgrid=True, gridcolor="#eef0f2")
    fig.update_xaxes(showticklabels=False, range=[0, 1.02], row=1, col=3)
    fig.update_yaxes(showgrid=True, gridcolor="#eef0f2")
    return fig
