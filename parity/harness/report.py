"""The parity report: data first (``parity.json``), then its renderings.

`build_report` assembles one JSON-ready dict from the symbols' results and
the gate verdicts; `render_markdown`, `render_html` and `render_junit` only
read it (plus the per-minute series for the HTML plots); `write_report` writes
every file of ``--out`` atomically.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from string import Template
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd

from parity import __version__
from parity.common import svg
from parity.common.page import TEMPLATES, render_page
from parity.harness.runner import SymbolResult
from parity.io.atomic import atomic_directory

__all__ = ["build_report", "render_html", "render_junit", "render_markdown", "write_report"]

#: The body of the parity report, put in the shared page (`parity.common.page`).
_TEMPLATE = TEMPLATES / "report.html"
#: The figures of the Markdown summary table: (label, metric, statistic, format).
SUMMARY_FIGURES = (
    ("state agreement", "state", "match_rate", "{:.1%}"),
    ("state kappa", "state", "kappa", "{:.3f}"),
    ("POC match", "poc", "match_rate", "{:.1%}"),
    ("POC p95 err (ticks)", "poc", "p95_error", "{:.1f}"),
    ("VAH p95 err (ticks)", "vah", "p95_error", "{:.1f}"),
    ("VAL p95 err (ticks)", "val", "p95_error", "{:.1f}"),
    ("VA overlap (IoU)", "value_area", "mean_iou", "{:.3f}"),
    ("buy pressure mean err (pts)", "buy_pressure", "mean_error", "{:.2f}"),
    ("CVD sign match", "cumulative_delta", "match_rate", "{:.1%}"),
    ("delta correlation", "delta", "correlation", "{:.3f}"),
    ("confidence mean err (pts)", "confidence", "mean_error", "{:.1f}"),
    ("coverage", "coverage", "share", "{:.1%}"),
    ("true flow (bars with buy_volume)", "true_flow", "share", "{:.1%}"),
)


def build_report(
    results: Sequence[SymbolResult],
    verdicts: list[dict],
    run: Mapping,
    extra: Mapping[str, Mapping] | None = None,
) -> dict:
    """The ``parity.json`` document: run info, per-symbol summaries, gate verdicts.

    ``extra`` adds sections per symbol (e.g. the trade-level comparison).
    """
    symbols = {r.summary["symbol"]: dict(r.summary) for r in results}
    for symbol, sections in (extra or {}).items():
        symbols.setdefault(symbol, {}).update(sections)
    failed = [v["name"] for v in verdicts if not v["passed"]]
    return _clean(
        {
            "tool": "backtest-parity",
            "version": __version__,
            "run": dict(run),
            "verdict": "fail" if failed else "pass",
            "failed": failed,
            "gate": verdicts,
            "symbols": symbols,
        }
    )


def _clean(value):
    """JSON-safe: NaN/inf -> None, numpy scalars -> Python, timestamps -> ISO."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value


def _fmt(value, pattern: str) -> str:
    return "n/a" if value is None else pattern.format(value)


def render_markdown(report: Mapping) -> str:
    """A short summary for a pull-request comment or ``$GITHUB_STEP_SUMMARY``."""
    verdict = report["verdict"].upper()
    lines = [f"## Parity: {verdict}", ""]
    run = report["run"]
    lines.append(
        f"Parameters `{run.get('params_hash')}` · config `{run.get('config')}` · database `{run.get('database')}`"
    )
    settings = run.get("candle_settings")
    if settings:
        lines.append("")
        lines.append(
            "Candle-side settings: " + ", ".join(f"`{k}={v}`" for k, v in settings.items())
        )
    lines.append("")
    symbols = report["symbols"]
    if symbols:
        names = sorted(symbols)
        lines.append("| figure | " + " | ".join(names) + " |")
        lines.append("|---|" + "---|" * len(names))
        lines.append(
            "| window | "
            + " | ".join(
                f"{symbols[s]['window']['start'][:16]} +{symbols[s]['compared_minutes']} min"
                for s in names
            )
            + " |"
        )
        for label, metric, stat, pattern in SUMMARY_FIGURES:
            cells = [
                _fmt(symbols[s].get("metrics", {}).get(metric, {}).get(stat), pattern)
                for s in names
            ]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        trades = [symbols[s].get("trades") for s in names]
        if any(trades):
            lines.append(
                "| trades matched (backtest vs live) | "
                + " | ".join(_fmt(t.get("match_share") if t else None, "{:.1%}") for t in trades)
                + " |"
            )
        lines.append("")
    failed = [v for v in report["gate"] if not v["passed"]]
    if failed:
        lines.append(f"**{len(failed)} of {len(report['gate'])} thresholds failed:**")
        lines.append("")
        for v in failed[:20]:
            lines.append(
                f"- `{v['name']}`: {_fmt(v['value'], '{:.4g}')} (needs {'>=' if v['op'] == 'min' else '<='} {v['threshold']:.4g})"
            )
        if len(failed) > 20:
            lines.append(f"- … and {len(failed) - 20} more (see parity.json)")
    else:
        lines.append(f"All {len(report['gate'])} thresholds hold.")
    lines.append("")
    lines.append("Details: `report.html`, `parity.json`, `divergences.jsonl`.")
    return "\n".join(lines) + "\n"


def render_junit(report: Mapping) -> str:
    """JUnit XML: one test case per (symbol, threshold)."""
    cases = []
    for v in report["gate"]:
        body = ""
        if not v["passed"]:
            message = f"{v['statistic']} = {_fmt(v['value'], '{:.6g}')}, needs {'>=' if v['op'] == 'min' else '<='} {v['threshold']:.6g}"
            body = f"<failure message={quoteattr(message)}>{escape(message)}</failure>"
        cases.append(
            f'  <testcase classname="parity.{escape(v["symbol"])}" name={quoteattr(v["name"])}>{body}</testcase>'
        )
    failures = sum(not v["passed"] for v in report["gate"])
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuite name="parity" tests="{len(cases)}" failures="{failures}" errors="0">\n'
        + "\n".join(cases)
        + "\n</testsuite>\n"
    )


def render_html(report: Mapping, results: Sequence[SymbolResult]) -> str:
    """A self-contained HTML page: the summary, then per symbol the plots."""
    sections = []
    for result in sorted(results, key=lambda r: r.summary["symbol"]):
        sections.append(_symbol_section(report["symbols"][result.summary["symbol"]], result.series))
    gate_rows = "".join(
        f"<tr class={'ok' if v['passed'] else 'bad'}><td>{html.escape(v['name'])}</td>"
        f"<td>{_fmt(v['value'], '{:.4g}')}</td><td>{'&ge;' if v['op'] == 'min' else '&le;'} {v['threshold']:.4g}</td>"
        f"<td>{'pass' if v['passed'] else 'FAIL'}</td></tr>"
        for v in report["gate"]
    )
    verdict = report["verdict"].upper()
    body = Template(_TEMPLATE.read_text(encoding="utf-8")).substitute(
        run=html.escape(json.dumps(report["run"], indent=1)),
        gate_rows=gate_rows or "<tr><td colspan=4>no thresholds configured</td></tr>",
        summary=_settings_html(report["run"]) + _markdown_table_html(report),
        sections="".join(sections),
    )
    verdict_class = "ok" if report["verdict"] == "pass" else "bad"
    heading = f'Parity report: <span class="{verdict_class}">{html.escape(verdict)}</span>'
    return render_page(f"Parity report: {verdict}", body, heading)


def _settings_html(run: Mapping) -> str:
    """The candle-side estimation settings of the run, as one paragraph."""
    settings = run.get("candle_settings") or {}
    if not settings:
        return ""
    items = ", ".join(f"<code>{html.escape(f'{k}={v}')}</code>" for k, v in settings.items())
    return f"<p>Candle-side settings: {items}</p>"


def _markdown_table_html(report: Mapping) -> str:
    symbols = report["symbols"]
    names = sorted(symbols)
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    rows = "".join(
        f"<tr><td>{html.escape(label)}</td>"
        + "".join(
            f"<td>{_fmt(symbols[s].get('metrics', {}).get(m, {}).get(st), p)}</td>" for s in names
        )
        + "</tr>"
        for label, m, st, p in SUMMARY_FIGURES
    )
    return f"<table><tr><th>figure</th>{head}</tr>{rows}</table>"


def _symbol_section(summary: Mapping, series: pd.DataFrame) -> str:
    index = series.index
    charts = [
        svg.line_chart(
            "Price with live (solid) vs calculated (dashed) POC / VAH / VAL",
            index,
            [("close", series["close"].to_numpy(), "#222222", "")]
            + [(f"{who} {c}", series[f"{who}_{c}"].to_numpy(), colour, dash)
               for c, colour in (("poc", "#c2571a"), ("vah", "#4a78c2"), ("val", "#7a4ac2"))
               for who, dash in (("live", ""), ("calc", "4 3")) if f"{who}_{c}" in series],
        ),
    ]  # fmt: skip
    if "live_state" in series:
        charts.append(
            svg.state_ribbons(
                "Market state: live vs calculated",
                index,
                [("live", series["live_state"]), ("calculated", series["calc_state"])],
            )
        )
    if "live_cumulative_delta" in series:
        charts.append(
            svg.line_chart(
                "Cumulative delta over the window: live vs calculated",
                index,
                [
                    ("live", series["live_cumulative_delta"].to_numpy(), "#2e9e5b", ""),
                    ("calculated", series["calc_cumulative_delta"].to_numpy(), "#d64545", "4 3"),
                ],
            )
        )
    tick = summary["tick_size"]
    for column, unit, scale in (
        ("poc", "ticks", 1 / tick),
        ("buy_pressure", "points", 1.0),
        ("confidence", "points", 1.0),
    ):
        if f"live_{column}" in series:
            errors = (
                series[f"calc_{column}"].astype(float) - series[f"live_{column}"].astype(float)
            ).to_numpy() * scale
            charts.append(svg.histogram(f"{column}: calculated - live ({unit})", errors, unit))
    m = summary.get("metrics", {})
    confusion = m.get("state", {}).get("confusion")
    table = ""
    if confusion:
        states = list(confusion)
        table = (
            "<table><tr><th>live \\ calculated</th>"
            + "".join(f"<th>{s}</th>" for s in states)
            + "</tr>"
            + "".join(
                f"<tr><th>{r}</th>"
                + "".join(f"<td>{confusion[r][c]}</td>" for c in states)
                + "</tr>"
                for r in states
            )
            + "</table>"
        )
    facts = html.escape(
        json.dumps(
            {
                k: summary[k]
                for k in ("window", "warmup_minutes", "compared_minutes", "live_rows")
                if k in summary
            },
            indent=1,
        )
    )
    return f"<section><h2>{html.escape(summary['symbol'])}</h2><pre>{facts}</pre>{table}{''.join(charts)}</section>"


def write_report(out: str | Path, report: Mapping, results: Sequence[SymbolResult]) -> Path:
    """Write ``parity.json``, ``divergences.jsonl``, ``report.md``,
    ``report.html`` and ``junit.xml`` into ``out``, atomically; returns ``out``."""
    with atomic_directory(out) as staging:
        (staging / "parity.json").write_text(
            json.dumps(report, indent=2, sort_keys=False) + "\n", encoding="utf-8"
        )
        with (staging / "divergences.jsonl").open("w", encoding="utf-8") as handle:
            for result in results:
                for record in result.divergences.to_dict("records"):
                    handle.write(json.dumps(_clean(record), sort_keys=False) + "\n")
        (staging / "report.md").write_text(render_markdown(report), encoding="utf-8")
        (staging / "report.html").write_text(render_html(report, results), encoding="utf-8")
        (staging / "junit.xml").write_text(render_junit(report), encoding="utf-8")
    return Path(out)
