"""Interactive plots for the HTML reports: plotly figures, inlined once per page.

- `plotly_loader`: plotly.js (the copy the ``plotly`` package ships),
  gzip-compressed and base64-encoded into the page (about 2 MB instead of
  4.8), unpacked by the browser's ``DecompressionStream``; the page works
  offline (a CI artifact).  `figure_block` puts a figure's JSON beside a
  ``<div>`` the loader draws into (figures inside a closed ``<details>`` are
  drawn when it opens).  When every visible figure is drawn the page sets
  ``data-plots-rendered`` (their number) on ``<body>``; an error sets
  ``data-plot-error``.
- `minmax_indices`: per-pixel min/max downsampling: of each bucket of
  consecutive points the first, the lowest, the highest and the last are
  kept, so no spike is dropped.
- `time_trace_arrays`: a time series as plotly arrays: a regular minute grid
  as ``x0``/``dx`` (no x array at all), or explicit times (ms since the epoch)
  where it had to be downsampled; values as float32 (binary, compact).
"""

from __future__ import annotations

import base64
import functools
import gzip
import html
import itertools

import numpy as np
import pandas as pd

__all__ = [
    "PIXELS",
    "compact",
    "figure_block",
    "figure_json",
    "minmax_indices",
    "plotly_loader",
    "time_trace_arrays",
]

#: The plot width, in pixel columns, downsampling aims at (two points a column).
PIXELS = 1200

_LOADER_JS = """
(function () {
  function fail(err) { document.body.dataset.plotError = String(err && err.message || err); throw err; }
  function unpack(id) {
    var text = atob(document.getElementById(id).textContent.trim());
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).text();
  }
  window.parityPlotly = unpack('plotly-js-gz').then(function (code) {
    (0, eval)(code);
    return window.Plotly;
  }).catch(fail);
  window.parityDraw = function (el) {
    if (el.dataset.state) return Promise.resolve();
    el.dataset.state = 'drawing';
    return Promise.all([window.parityPlotly, unpack(el.dataset.figure)]).then(function (got) {
      var fig = JSON.parse(got[1]);
      return got[0].newPlot(el, fig.data, fig.layout,
        {responsive: true, displaylogo: false, scrollZoom: false});
    }).then(function () { el.dataset.state = 'drawn'; }).catch(fail);
  };
  function visible(el) { var d = el.closest('details'); return !d || d.open; }
  document.addEventListener('DOMContentLoaded', function () {
    var plots = Array.prototype.slice.call(document.querySelectorAll('div.plot[data-figure]'));
    Promise.all(plots.filter(visible).map(window.parityDraw)).then(function () {
      document.body.dataset.plotsRendered = String(plots.filter(visible).length);
    });
    document.querySelectorAll('details').forEach(function (d) {
      d.addEventListener('toggle', function () {
        if (d.open) d.querySelectorAll('div.plot[data-figure]').forEach(window.parityDraw);
      });
    });
  });
})();
"""


def _packed(text: str) -> str:
    """gzip, then base64: how the page carries plotly.js and each figure."""
    return base64.b64encode(gzip.compress(text.encode("utf-8"), 9, mtime=0)).decode("ascii")


@functools.cache
def plotly_loader() -> str:
    """The ``<script>`` elements that carry plotly.js and draw the figures (once per page)."""
    from plotly.offline import get_plotlyjs

    return (
        '<script id="plotly-js-gz" type="application/octet-stream">'
        + _packed(get_plotlyjs())
        + "</script>\n<script>"
        + _LOADER_JS
        + "</script>\n"
    )


def figure_json(figure) -> str:
    """A plotly figure as JSON."""
    return figure.to_json(validate=False, engine="json")


def figure_block(figure, element_id: str, height: int) -> str:
    """A ``<div class="plot">`` the loader draws ``figure`` into, with its
    JSON (gzip + base64: a minute series of repeated levels packs tightly)."""
    ident = html.escape(element_id)
    return (
        f'<div class="plot" id="{ident}" data-figure="{ident}-gz" style="height:{height}px"></div>'
        f'<script type="application/octet-stream" id="{ident}-gz">{_packed(figure_json(figure))}</script>'
    )


def minmax_indices(values: np.ndarray, buckets: int) -> np.ndarray:
    """Indices to keep of ``values`` (one series, NaN = no value) so that
    every bucket of consecutive points keeps its first, lowest, highest and
    last point (sorted, unique).  All indices when there are no more points
    than ``4 * buckets``.

    >>> minmax_indices(np.array([0., 5, 1, 1, 1, 1, -3, 1]), 1).tolist()
    [0, 1, 6, 7]
    """
    n = len(values)
    if n <= 4 * buckets:
        return np.arange(n)
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    kept = [edges[:-1], edges[1:] - 1]
    for lo, hi in itertools.pairwise(edges):
        part = values[lo:hi]
        if np.isnan(part).all():
            continue
        kept.append(np.array([lo + np.nanargmin(part), lo + np.nanargmax(part)]))
    return np.unique(np.concatenate(kept))


def time_trace_arrays(index: pd.DatetimeIndex, values, pixels: int = PIXELS) -> tuple[dict, bool]:
    """Plotly trace keys for ``values`` over a regular minute ``index``:
    ``({"x0", "dx", "y"} or {"x", "y"}, downsampled?)``."""
    y = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=np.float64)
    keep = minmax_indices(y, pixels // 2)
    if len(keep) == len(y):
        start = index[0].tz_convert("UTC").tz_localize(None).isoformat() if len(index) else None
        return {"x0": start, "dx": 60_000, "y": compact(y)}, False
    times_ms = index.as_unit("ms").asi8[keep].tolist()
    return {"x": times_ms, "y": compact(y[keep])}, True


def compact(values) -> list[float | None]:
    """Values as a JSON-ready list at 7 significant digits (None for NaN):
    short text that gzip packs well."""
    return [float(f"{v:.7g}") if np.isfinite(v) else None for v in np.asarray(values, np.float64)]
