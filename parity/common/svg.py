"""Small self-contained SVG charts for the HTML reports (no plotting library).

Each function returns an ``<svg>`` string; times are shown left to right,
long series are thinned to at most ``MAX_POINTS`` points.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["heatmap", "histogram", "line_chart", "state_ribbons"]

WIDTH, HEIGHT, PAD = 900, 230, 40
TOP, BOTTOM = 36, 24  # title and legend above the plot area, dates below
MAX_POINTS = 1500
STATE_COLOURS = {"BALANCE": "#9aa5b1", "IMBALANCE_UP": "#2e9e5b", "IMBALANCE_DOWN": "#d64545"}


def _thin(index: pd.DatetimeIndex) -> np.ndarray:
    step = max(1, len(index) // MAX_POINTS)
    return np.arange(0, len(index), step)


def _frame(
    title: str, body: str, y_lo: float, y_hi: float, index: pd.DatetimeIndex, legend: str = ""
) -> str:
    first = index[0].strftime("%Y-%m-%d %H:%M") if len(index) else ""
    last = index[-1].strftime("%Y-%m-%d %H:%M") if len(index) else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" role="img">'
        f"<title>{html.escape(title)}</title>"
        f'<text x="{PAD}" y="14" class="t">{html.escape(title)}</text>{legend}'
        f'<rect x="{PAD}" y="{TOP}" width="{WIDTH - 2 * PAD}" height="{HEIGHT - TOP - BOTTOM}" class="frame"/>'
        f'<text x="2" y="{TOP + 10}" class="a">{y_hi:.6g}</text>'
        f'<text x="2" y="{HEIGHT - BOTTOM}" class="a">{y_lo:.6g}</text>'
        f'<text x="{PAD}" y="{HEIGHT - 4}" class="a">{first}</text>'
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 4}" class="a" text-anchor="end">{last} UTC</text>'
        f"{body}</svg>"
    )


def line_chart(
    title: str,
    index: pd.DatetimeIndex,
    lines: Sequence[tuple[str, np.ndarray, str, str]],
    markers: Sequence[tuple[str, pd.DatetimeIndex, np.ndarray, str]] = (),
) -> str:
    """Lines ``(label, values, colour, dash)`` sharing one y axis over
    ``index``, and point markers ``(label, times, values, colour)`` on it."""
    keep = _thin(index)
    values = [np.asarray(v, float)[keep] for _, v, _, _ in lines]
    finite = np.concatenate([v[np.isfinite(v)] for v in values]) if values else np.array([])
    if not len(index) or not finite.size:
        return _frame(title + " (no data)", "", 0, 0, index)
    lo, hi = float(finite.min()), float(finite.max())
    span = hi - lo or 1.0
    xs = PAD + (WIDTH - 2 * PAD) * (keep / max(1, len(index) - 1))
    body, legend = [], []
    for n, ((label, _, colour, dash), v) in enumerate(zip(lines, values, strict=True)):
        ys = TOP + (HEIGHT - TOP - BOTTOM) * (1 - (v - lo) / span)
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True) if np.isfinite(y))
        body.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.2" stroke-dasharray="{dash}"/>'
        )
        legend.append(
            f'<text x="{PAD + 95 * n}" y="30" fill="{colour}" class="l">{html.escape(label)}</text>'
        )
    for m, (label, times, marks, colour) in enumerate(markers):
        positions = index.get_indexer(times)
        for pos, value in zip(positions, np.asarray(marks, float), strict=True):
            if pos < 0 or not np.isfinite(value):
                continue
            x = PAD + (WIDTH - 2 * PAD) * pos / max(1, len(index) - 1)
            y = TOP + (HEIGHT - TOP - BOTTOM) * (1 - (value - lo) / span)
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
        legend.append(
            f'<text x="{PAD + 95 * (len(lines) + m)}" y="30" fill="{colour}" class="l">{html.escape(label)}</text>'
        )
    return _frame(title, "".join(body), lo, hi, index, "".join(legend))


def state_ribbons(
    title: str, index: pd.DatetimeIndex, rows: Sequence[tuple[str, pd.Series]]
) -> str:
    """One coloured ribbon per row ``(label, states)``: a state per minute."""
    if not len(index):
        return _frame(title + " (no data)", "", 0, 0, index)
    width = (WIDTH - 2 * PAD) / len(index)
    band = (HEIGHT - TOP - BOTTOM) / max(1, len(rows))
    body = []
    for r, (label, states) in enumerate(rows):
        y = TOP + r * band
        values = states.reindex(index).to_numpy()
        start = 0
        for i in range(1, len(values) + 1):
            if i == len(values) or values[i] != values[start]:
                colour = STATE_COLOURS.get(values[start], "#ffffff")
                body.append(
                    f'<rect x="{PAD + start * width:.2f}" y="{y + 2:.1f}" width="{(i - start) * width:.2f}" '
                    f'height="{band - 4:.1f}" fill="{colour}"/>'
                )
                start = i
        body.append(
            f'<text x="{PAD + 4}" y="{y + band / 2 + 4:.1f}" class="l">{html.escape(label)}</text>'
        )
    legend = "".join(
        f'<text x="{PAD + 130 * n}" y="30" fill="{c}" class="l">{s}</text>'
        for n, (s, c) in enumerate(STATE_COLOURS.items())
    )
    return _frame(title, "".join(body), 0, 0, index, legend)


def histogram(title: str, errors: np.ndarray, unit: str, bins: int = 30) -> str:
    """Bars of how often each error size occurs."""
    errors = np.asarray(errors, float)
    errors = errors[np.isfinite(errors)]
    if not errors.size:
        return _frame(title + " (no data)", "", 0, 0, pd.DatetimeIndex([]))
    counts, edges = np.histogram(errors, bins=bins)
    top = counts.max() or 1
    width = (WIDTH - 2 * PAD) / bins
    body = "".join(
        f'<rect x="{PAD + i * width:.1f}" y="{TOP + (HEIGHT - TOP - BOTTOM) * (1 - c / top):.1f}" '
        f'width="{width - 1:.1f}" height="{(HEIGHT - TOP - BOTTOM) * c / top:.1f}" fill="#4a78c2"/>'
        for i, c in enumerate(counts)
    )
    axis = (
        f'<text x="{PAD}" y="{HEIGHT - 4}" class="a">{edges[0]:.4g} {html.escape(unit)}</text>'
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - 4}" class="a" text-anchor="end">{edges[-1]:.4g}</text>'
        f'<text x="2" y="{TOP + 10}" class="a">{top}</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" class="chart" role="img">'
        f'<title>{html.escape(title)}</title><text x="{PAD}" y="14" class="t">{html.escape(title)}</text>'
        f'<rect x="{PAD}" y="{TOP}" width="{WIDTH - 2 * PAD}" height="{HEIGHT - TOP - BOTTOM}" class="frame"/>'
        f"{body}{axis}</svg>"
    )


def heatmap(
    title: str, rows: Sequence[str], columns: Sequence[str], values: np.ndarray, fmt: str = "{:.4g}"
) -> str:
    """A grid of cells coloured by value (blue low, orange high), each labelled."""
    values = np.asarray(values, float)
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    span = hi - lo or 1.0
    left, cell_h = 220, 28
    cell_w = (WIDTH - left - PAD) / max(1, len(columns))
    height = TOP + cell_h * (len(rows) + 1) + 10
    body = [
        f'<text x="{left + (j + 0.5) * cell_w:.1f}" y="{TOP + 18}" class="l" text-anchor="middle">{html.escape(c)}</text>'
        for j, c in enumerate(columns)
    ]
    for i, r in enumerate(rows):
        y = TOP + cell_h * (i + 1)
        body.append(
            f'<text x="{left - 8}" y="{y + 18}" class="l" text-anchor="end">{html.escape(r)}</text>'
        )
        for j in range(len(columns)):
            v = values[i, j]
            share = (v - lo) / span if np.isfinite(v) else 0.0
            colour = (
                f"rgb({int(74 + 170 * share)},{int(120 + 30 * share)},{int(194 - 150 * share)})"
            )
            body.append(
                f'<rect x="{left + j * cell_w:.1f}" y="{y}" width="{cell_w - 2:.1f}" height="{cell_h - 2}" fill="{colour}"/>'
                f'<text x="{left + (j + 0.5) * cell_w:.1f}" y="{y + 18}" text-anchor="middle" class="v">'
                f"{html.escape(fmt.format(v) if np.isfinite(v) else 'n/a')}</text>"
            )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" class="chart" role="img">'
        f'<title>{html.escape(title)}</title><text x="{PAD}" y="14" class="t">{html.escape(title)}</text>'
        f"{''.join(body)}</svg>"
    )
