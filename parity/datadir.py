"""Where the real market data is: one resolver for the world builders, the
scripts, the benchmarks and the tests (see ``../shared/data/SOURCES.md``)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["PROJECT_ROOT", "resolve_data_dir"]

#: The repository root (the folder holding ``pyproject.toml``).
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def resolve_data_dir(given: str | Path | None = None) -> Path:
    """The real-data directory: ``given``, else ``$PARITY_DATA_DIR``, else
    ``../shared/data`` relative to the current directory, else relative to the
    project root (the first that exists; the last candidate if none does)."""
    if given:
        return Path(given).expanduser()
    env = os.environ.get("PARITY_DATA_DIR")
    if env:
        return Path(env).expanduser()
    candidates = [
        Path.cwd().parent / "shared" / "data",
        PROJECT_ROOT.parent / "shared" / "data",
    ]
    for path in candidates:
        if path.is_dir():
            return path
    return candidates[-1]
