"""Progress bars on stderr when it is a terminal (tqdm); silent otherwise.

Every long command reports through these: a multi-symbol parity run, a load,
a backtest, a sweep (and calibrate).  The library takes a plain
``progress(fraction)`` callback (0.0 to 1.0, non-decreasing) and never
imports this module.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm

__all__ = ["progress_bar"]


@contextmanager
def progress_bar(label: str, width: int = 30) -> Iterator[Callable[[float], None]]:
    """Yield ``update(fraction)``; draws ``label  40%|████      |`` with the
    elapsed and remaining time on a terminal (``width``: the bar's columns)."""
    if not sys.stderr.isatty():
        yield lambda fraction: None
        return
    bar = tqdm(
        total=1000,
        desc=label,
        file=sys.stderr,
        ncols=len(label) + width + 40,
        bar_format="{desc} {percentage:3.0f}%|{bar}| {elapsed}<{remaining}",
        leave=True,
    )

    def update(fraction: float) -> None:
        done = int(1000 * min(max(fraction, 0.0), 1.0))
        if done > bar.n:
            bar.update(done - bar.n)

    try:
        yield update
    finally:
        bar.close()
