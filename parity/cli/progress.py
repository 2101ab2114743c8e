"""A progress bar on stderr when it is a terminal; silent otherwise."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["progress_bar"]


@contextmanager
def progress_bar(label: str, width: int = 30) -> Iterator[Callable[[float], None]]:
    """Yield ``update(fraction)``; draws ``label [####    ] 40%`` on a terminal."""
    if not sys.stderr.isatty():
        yield lambda fraction: None
        return

    def update(fraction: float) -> None:
        done = int(width * min(max(fraction, 0.0), 1.0))
        sys.stderr.write(f"\r{label} [{'#' * done}{' ' * (width - done)}] {fraction:4.0%}")
        sys.stderr.flush()

    try:
        yield update
    finally:
        sys.stderr.write("\n")
