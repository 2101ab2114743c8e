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
from parity.common.page import TEMPLATES, render_page
from parity.common.plots import figure_block, plotly_loader
from parity.common.provenance import reproducibility
from parity.harness.report_view import build_view
from parity.harness.runner import SymbolResult
from parity.io.atomic import atomic_directory

__all__ = [
    "DIVERGENCE_COLUMNS",
    "build_report",
    "divergence_table",
    "render_html",
    "render_junit",
    "render_markdown",
    "render_summary_html",
    "write_report",
]

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


#: What a run without thresholds says (it cannot fail), and how to add them.
UNGATED_NOTE = (
    "ungated: no thresholds are configured, so this run cannot fail; add them to the "
    "config as [gate.<metric>] tables, e.g. [gate.state] min_match_rate = 0.7 (see docs/parity.md)"
)


def build_report(
    results: Sequence[SymbolResult],
    verdicts: list[dict],
    run: Mapping,
    extra: Mapping[str, Mapping] | None = None,
) -> dict:
    """The ``parity.json`` document: run info, per-symbol summaries, gate verdicts.

    ``verdict`` is ``"pass"``, ``"fail"``, or ``"ungated"`` when there is no
    verdict at all (no thresholds configured: the run cannot fail).

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
            "reproducibility": reproducibility(),
            "run": dict(run),
            "verdict": "ungated" if not verdicts else "fail" if failed else "pass",
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


def _fmt(value, pattern: str = "{:.6g}") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return pattern.format(value)


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
    elif not report["gate"]:
        lines.append(UNGATED_NOTE)
    else:
        lines.append(f"All {len(report['gate'])} thresholds hold.")
    lines.append("")
    lines.append("Details: `report.html`, `parity.json`, `divergences.jsonl` / `.parquet`.")
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
    """A self-contained HTML page (plotly inlined once): the overview, the
    gate, the run, then per symbol its facts, linked plots, trades and
    divergence episodes.  The data comes from `build_view`; this only renders."""
    view = build_view(report, results)
    body = Template(_TEMPLATE.read_text(encoding="utf-8")).substitute(
        overview=_overview_html(view),
        gate=_gate_html(view.gate),
        run=_facts_html(view.run),
        sections="".join(_symbol_html(s) for s in view.symbols),
    )
    verdict = view.verdict.upper()
    verdict_class = "ok" if view.verdict == "pass" else "bad"
    heading = f'Parity report: <span class="{verdict_class}">{html.escape(verdict)}</span>'
    scripts = plotly_loader() + _SORT_JS if any(s.timeline for s in view.symbols) else _SORT_JS
    return render_page(f"Parity report: {verdict}", body, heading, scripts)


def render_summary_html(report: Mapping, results: Sequence[SymbolResult]) -> str:
    """The light part of the page (no plots, no scripts): overview, gate and
    every statistic per symbol; a notebook's view of a result."""
    view = build_view(report, results, figures=False)
    parts = [
        f"<h4>Parity: {html.escape(view.verdict.upper())}</h4>",
        _overview_html(view),
        _gate_html(view.gate),
    ]
    for symbol in view.symbols:
        parts.append(f"<h4>{html.escape(symbol.symbol)}</h4>" + _facts_html(symbol.facts))
        parts.append(_statistics_html(symbol.statistics))
    return "<div>" + "".join(parts) + "</div>"


_SORT_JS = """<script>
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th').forEach(function (th, col) {
    th.addEventListener('click', function () {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var dir = th.dataset.dir === 'asc' ? -1 : 1; th.dataset.dir = dir === 1 ? 'asc' : 'desc';
      function key(r) { var c = r.cells[col]; var v = c.dataset.sort !== undefined ? c.dataset.sort : c.textContent;
        var n = parseFloat(v); return isNaN(n) ? v : n; }
      rows.sort(function (a, b) { var x = key(a), y = key(b);
        return (typeof x === typeof y ? (x < y ? -1 : x > y ? 1 : 0) : (typeof x === 'number' ? -1 : 1)) * dir; });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
</script>
"""


def _cell(value, pattern: str = "{:.4g}") -> str:
    sort = (
        ""
        if not isinstance(value, int | float) or isinstance(value, bool)
        else f' data-sort="{value!r}"'
    )
    if value is None:
        sort = ' data-sort="-1e308"'
    return f"<td{sort}>{html.escape(_fmt(value, pattern) if isinstance(value, int | float) or value is None else str(value))}</td>"


def _overview_html(view) -> str:
    if not view.overview:
        return "<p>No symbols compared.</p>"
    labels = [label for label, _, _ in view.overview[0]["figures"]]
    head = "".join(
        f"<th>{html.escape(h)}</th>"
        for h in [
            "symbol",
            "verdict",
            "failed thresholds",
            "window (UTC)",
            "compared min",
            *labels,
            "trades matched",
        ]
    )
    rows = []
    for row in view.overview:
        verdict = "pass" if row["passed"] else "FAIL"
        cells = [
            f'<td><a href="#sym-{html.escape(row["symbol"])}">{html.escape(row["symbol"])}</a></td>',
            f'<td class="{"pass" if row["passed"] else "fail"}" data-sort="{int(row["passed"])}">{verdict}</td>',
            _cell(row["failed"], "{:d}"),
            f"<td>{html.escape(row['window'])}</td>",
            _cell(row["compared"], "{:d}"),
            *(_cell(value, pattern) for _, value, pattern in row["figures"]),
            _cell(row["trades"], "{:.1%}"),
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="sortable"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def _gate_html(gate: Sequence[Mapping]) -> str:
    """The verdict line, a matrix (symbols x thresholds, failures in red),
    then every verdict as a list (failures first) folded away."""
    if not gate:
        return "<p>No thresholds configured (add <code>[gate.*]</code> to parity.toml, or run <code>parity init</code>).</p>"
    failed = sum(not v["passed"] for v in gate)
    verdict = (
        f"{failed} of {len(gate)} thresholds failed"
        if failed
        else f"all {len(gate)} thresholds hold"
    )
    checks: dict[str, str] = {}
    cells: dict[tuple[str, str], Mapping] = {}
    for v in gate:
        check = v["name"][len(v["symbol"]) + 1 :]
        needs = f"{'≥' if v['op'] == 'min' else '≤'} {v['threshold']:.4g}"
        checks.setdefault(
            check, needs if v.get("kind", "threshold") == "threshold" else "no worse than baseline"
        )
        cells[(v["symbol"], check)] = v
    symbols = sorted({v["symbol"] for v in gate})
    head = "".join(
        f"<th>{html.escape(c.replace('.no_worse_than_baseline', ' (ratchet)'))}<br><span class=note>{html.escape(n)}</span></th>"
        for c, n in checks.items()
    )
    rows = []
    for symbol in symbols:
        row = [f"<td>{html.escape(symbol)}</td>"]
        for check in checks:
            v = cells.get((symbol, check))
            if v is None:
                row.append("<td></td>")
                continue
            sort = "-1e308" if v["value"] is None else repr(v["value"])
            needs = (
                checks[check] if v.get("kind", "threshold") == "threshold" else _fmt(v["threshold"])
            )
            row.append(
                f'<td class="{"pass" if v["passed"] else "fail"}" data-sort="{sort}" '
                f'title="needs {html.escape(needs)}">'
                f"{html.escape(_fmt(v['value'], '{:.4g}'))}{'' if v['passed'] else ' ✗'}</td>"
            )
        rows.append("<tr>" + "".join(row) + "</tr>")
    matrix = (
        f'<div class="wide"><table class="sortable gate"><thead><tr><th>symbol</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )
    listing = "".join(
        f"<tr class={'ok' if v['passed'] else 'bad'}><td>{html.escape(v['name'])}</td>"
        f"<td>{html.escape(v.get('kind', 'threshold'))}</td>"
        + _cell(v["value"])
        + f"<td>{'&ge;' if v['op'] == 'min' else '&le;'} {v['threshold']:.4g}</td>"
        f"<td class={'pass' if v['passed'] else 'fail'}>{'pass' if v['passed'] else 'FAIL'}</td></tr>"
        for v in sorted(gate, key=lambda v: (v["passed"], v["name"]))
    )
    return (
        f"<p>{verdict}. Each cell is the symbol's value; red ✗ = the threshold fails.</p>{matrix}"
        f'<details><summary>Every verdict ({len(gate)})</summary><table class="sortable"><thead><tr><th>threshold</th>'
        f"<th>kind</th><th>value</th><th>needs</th><th>verdict</th></tr></thead><tbody>{listing}</tbody></table></details>"
    )


def _facts_html(facts: Sequence[tuple[str, str]]) -> str:
    return (
        '<dl class="facts">'
        + "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(v)}</dd>" for k, v in facts)
        + "</dl>"
    )


def _statistics_html(statistics: Mapping[str, Mapping]) -> str:
    columns: list[str] = []
    for row in statistics.values():
        columns += [k for k in row if k not in columns]
    head = "".join(f"<th>{html.escape(c.replace('_', ' '))}</th>" for c in ["metric", *columns])
    rows = "".join(
        f"<tr><td>{html.escape(metric)}</td>"
        + "".join(_cell(row.get(c)) if c in row else "<td></td>" for c in columns)
        + "</tr>"
        for metric, row in statistics.items()
    )
    return f'<div class="wide"><table class="sortable"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>'


def _flatten(value, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(value, Mapping):
        return [
            pair
            for k, v in value.items()
            for pair in _flatten(v, f"{prefix}{k}." if prefix or True else k)
        ]
    if isinstance(value, list):
        return [(prefix.rstrip("."), ", ".join(map(str, value)))]
    return [(prefix.rstrip("."), _fmt(value))]


def _confusion_html(confusion: Mapping) -> str:
    states = list(confusion)
    return (
        "<table><tr><th>live \\ calculated</th>"
        + "".join(f"<th>{s}</th>" for s in states)
        + "</tr>"
        + "".join(
            f"<tr><th>{r}</th>" + "".join(f"<td>{confusion[r][c]}</td>" for c in states) + "</tr>"
            for r in states
        )
        + "</table>"
    )


def _trades_html(view) -> str:
    if view.trade_summary is None:
        return "<p>No trade-level comparison (no live rows).</p>"
    t = view.trade_summary
    summary = (
        f"<p>The same strategy walked on both indicator sets over {html.escape(t['window']['start'][:16])} → "
        f"{html.escape(t['window']['end'][:16])}: <b>{t['calculated_trades']}</b> calculated and "
        f"<b>{t['live_trades']}</b> live trades, <b>{t['matched']}</b> matched (same side, entries ≤ 1 min apart; "
        f"match share {_fmt(t['match_share'], '{:.1%}')}). P&amp;L calculated {_fmt(t['pnl_calculated'], '{:.2f}')}, "
        f"live {_fmt(t['pnl_live'], '{:.2f}')}. On the price chart: triangles (▲ long, ▼ short), filled = matched, "
        "open = unmatched; orange calculated, blue live.</p>"
    )
    # lean rows (closing tags are optional in HTML): a long window has hundreds of trades
    rows = "".join(
        f"<tr{'' if r['matched'] else ' class=unmatched'}><td>{r['side_of']}<td>{'yes' if r['matched'] else 'no'}"
        f"<td>{r['entry_time']:%Y-%m-%d %H:%M}<td>{r['exit_time']:%H:%M}<td>{r['side']}"
        f"<td>{r['entry_price']:.6g}<td>{r['exit_price']:.6g}<td>{r['pnl']:.2f}<td>{html.escape(str(r['reason']))}"
        for r in view.trades
    )
    table = (
        '<details><summary>Both trade lists</summary><table class="sortable"><thead><tr><th>walk</th><th>matched</th>'
        "<th>entry (UTC)</th><th>exit</th><th>side</th><th>entry price</th><th>exit price</th><th>P&amp;L</th>"
        f"<th>exit reason</th></tr></thead><tbody>{rows}</tbody></table></details>"
    )
    return summary + (table if view.trades else "")


def _side_by_side(live: Mapping, calc: Mapping, pattern: str = "{:.6g}") -> str:
    rows = []
    for key in live:
        a, b = live.get(key), calc.get(key)
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
        diff = b - a if numbers and key != "rule" else None
        rows.append(
            f"<tr><td>{html.escape(key.replace('_', ' '))}</td>"
            + _cell(a, pattern)
            + _cell(b, pattern)
            + _cell(diff, pattern)
            + "</tr>"
        )
    return (
        "<table><tr><th>figure</th><th>live</th><th>calculated</th><th>calc − live</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def _episode_html(symbol: str, n: int, episode: Mapping) -> str:
    state = episode["state"]
    live_s, calc_s = state["live"], state["calculated"]
    why = (
        f"<p><b>Which state rule fired.</b> Live stored <b>{html.escape(str(live_s['state']))}</b>; on its own inputs "
        f"(close {_fmt(live_s['close'])}, its POC {_fmt(live_s['poc'])} / VAH {_fmt(live_s['vah'])} / VAL {_fmt(live_s['val'])}, "
        f"momentum {_fmt(live_s['momentum_score'], '{:.3g}')} %, CVD pressure {_fmt(live_s['cvd_pressure'], '{:.3g}')} pts) "
        f"rule {live_s['rule'] or '–'} fires: <i>{html.escape(live_s['rule_text'])}</i>.<br>"
        f"Calculated <b>{html.escape(str(calc_s['state']))}</b>; on its inputs (POC {_fmt(calc_s['poc'])} / VAH {_fmt(calc_s['vah'])} / "
        f"VAL {_fmt(calc_s['val'])}, momentum {_fmt(calc_s['momentum_score'], '{:.3g}')} %, CVD pressure "
        f"{_fmt(calc_s['cvd_pressure'], '{:.3g}')} pts) rule {calc_s['rule'] or '–'} fires: <i>{html.escape(calc_s['rule_text'])}</i>.</p>"
    )
    keys = (
        "state",
        "confidence",
        "distance_from_poc_pct",
        "momentum_score",
        "cvd_pressure",
        "rule",
    )
    state_table = _side_by_side(
        {k: live_s.get(k) for k in keys}, {k: calc_s.get(k) for k in keys}, "{:.4g}"
    )
    flow = _side_by_side(episode["flow"]["live"], episode["flow"]["calculated"], "{:.4g}")
    figure = figure_block(episode["figure"], f"ep-{symbol}-{n}", 420)
    return (
        f'<details class="episode"><summary>{html.escape(episode["metric"])}: {episode["minutes"]} min from '
        f"{html.escape(episode['first'][:16])} UTC</summary>"
        f'<p class="note">Drill-down of the first minute. The live tables store POC / VAH / VAL only, not volume at price, '
        f"so the live side shows its levels next to the calculated histogram.</p>{figure}{why}"
        f'<div class="cols"><div><h4>Order flow</h4>{flow}</div><div><h4>Market state</h4>{state_table}</div></div></details>'
    )


def _symbol_html(view) -> str:
    badge = f'<span class="badge {"ok" if view.passed else "bad"}">{"pass" if view.passed else "FAIL"}</span>'
    parts = [
        f'<section id="sym-{html.escape(view.symbol)}"><h2>{html.escape(view.symbol)} {badge}</h2>',
        _facts_html(view.facts),
    ]
    if view.timeline is not None:
        parts.append(figure_block(view.timeline, f"tl-{view.symbol}", 900))
    parts.append("<h3>Trade-level parity</h3>" + _trades_html(view))
    parts.append("<h3>Divergence episodes</h3>")
    if view.episodes:
        parts.append(
            "<p>The longest runs of divergent minutes (any metric); open one for its first minute.</p>"
        )
        parts += [_episode_html(view.symbol, n, e) for n, e in enumerate(view.episodes)]
    else:
        parts.append("<p>No divergent minutes.</p>")
    parts.append("<h3>Every statistic</h3>" + _statistics_html(view.statistics))
    if view.confusion:
        parts.append("<h3>State confusion (minutes)</h3>" + _confusion_html(view.confusion))
    for name, value in view.other.items():
        parts.append(
            f"<h3>{html.escape(name.replace('_', ' '))}</h3>" + _facts_html(_flatten(value))
        )
    parts.append("</section>")
    return "".join(parts)


def write_report(out: str | Path, report: Mapping, results: Sequence[SymbolResult]) -> Path:
    """Write ``parity.json``, ``divergences.jsonl``, ``divergences.parquet``,
    ``report.md``, ``report.html`` and ``junit.xml`` into ``out``, atomically;
    returns ``out``."""
    with atomic_directory(out) as staging:
        (staging / "parity.json").write_text(
            json.dumps(report, indent=2, sort_keys=False) + "\n", encoding="utf-8"
        )
        with (staging / "divergences.jsonl").open("w", encoding="utf-8") as handle:
            for result in results:
                for record in result.divergences.to_dict("records"):
                    handle.write(json.dumps(_clean(record), sort_keys=False) + "\n")
        divergence_table(results).to_parquet(staging / "divergences.parquet", index=False)
        (staging / "report.md").write_text(render_markdown(report), encoding="utf-8")
        (staging / "report.html").write_text(render_html(report, results), encoding="utf-8")
        (staging / "junit.xml").write_text(render_junit(report), encoding="utf-8")
    return Path(out)


#: The typed columns of ``divergences.parquet``: a metric's value goes to
#: ``live_value``/``calculated_value`` (float64), a label (the state) to
#: ``live_label``/``calculated_label`` (string); the other pair is null.
DIVERGENCE_COLUMNS = {
    "symbol": "string",
    "minute": "datetime64[ns, UTC]",
    "metric": "string",
    "live_value": "float64",
    "calculated_value": "float64",
    "live_label": "string",
    "calculated_label": "string",
    "error": "float64",
    "tolerance": "float64",
    "unit": "string",
    "ignored": "boolean",
    "ignore_reason": "string",
    "params_hash": "string",
    "window_fingerprint": "string",
    "reproduce": "string",
}


def divergence_table(results: Sequence[SymbolResult]) -> pd.DataFrame:
    """Every divergence record of ``results`` with the typed columns of
    `DIVERGENCE_COLUMNS` (for ``divergences.parquet``)."""
    frames = [r.divergences for r in results if not r.divergences.empty]
    raw = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    out = pd.DataFrame(index=raw.index)
    for side, column in (("live", "live"), ("calculated", "calculated")):
        values = raw[column] if column in raw else pd.Series(index=raw.index, dtype=object)
        is_label = values.map(lambda v: isinstance(v, str))
        out[f"{side}_value"] = pd.to_numeric(values.where(~is_label), errors="coerce")
        out[f"{side}_label"] = values.where(is_label)
    for name in DIVERGENCE_COLUMNS:
        if name not in out:
            out[name] = raw[name] if name in raw else None
    out = out[list(DIVERGENCE_COLUMNS)]
    return out.astype(DIVERGENCE_COLUMNS)
