"""Progress bars: tqdm on a terminal, nothing otherwise; the library's
``progress(fraction)`` callbacks rise to 1.0."""

from __future__ import annotations

import io

import pandas as pd

from calculators import Params
from parity.backtesting.sweep import run_sweep
from parity.cli.progress import progress_bar
from parity_fixtures.simulator import simulate_candles


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bar_is_drawn_on_a_terminal_only(monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    with progress_bar("sweep") as update:
        for k in range(1, 5):
            update(k / 4)
    text = terminal.getvalue()
    assert "sweep" in text and "100%" in text
    pipe = io.StringIO()
    monkeypatch.setattr("sys.stderr", pipe)
    with progress_bar("sweep") as update:
        update(0.5)
        update(1.0)
    assert pipe.getvalue() == ""


def test_sweep_reports_each_task():
    candles = simulate_candles(0.2, seed=2, start="2025-01-01T00:00:00Z", tick_size=0.01)
    seen: list[float] = []
    table = run_sweep(
        candles[["open", "high", "low", "close", "volume"]],
        # two calculator groups (lookbacks) of three combinations: one task each
        {"lookback_period": [30, 60], "min_confidence": [50.0, 60.0, 70.0]},
        Params(),
        "S",
        pd.Timestamp("2025-01-01T02:00Z"),
        pd.Timestamp("2025-01-01T04:00Z"),
        progress=seen.append,
    )
    assert len(table) == 6
    assert seen == [0.0, 0.5, 1.0]  # the start, then each task done
