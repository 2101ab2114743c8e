"""The reproducibility block of ``parity.json``: when, with what, from which commit."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

import pandas as pd

from parity import __version__

__all__ = ["REPORT_FORMAT_VERSION", "git_commit", "reproducibility"]

#: The version of the ``parity.json`` layout; raised when a key changes meaning or goes away.
REPORT_FORMAT_VERSION = 2
_LIBRARIES = ("numpy", "numba", "pandas", "scipy", "pyarrow", "plotly")


def git_commit(directory: str | Path = ".") -> dict | None:
    """``{"commit": sha, "dirty": bool}`` of the git repository holding
    ``directory``, or None outside one (or without git)."""
    try:
        sha = subprocess.run(
            ["git", "-C", str(directory), "rev-parse", "HEAD"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout.strip()  # fmt: skip
        status = subprocess.run(
            ["git", "-C", str(directory), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=5, check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": sha, "dirty": bool(status.strip())} if sha else None


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def reproducibility(directory: str | Path = ".") -> dict:
    """The block: UTC time, package version, report-format version, the git
    commit of ``directory``'s repository (None outside one), Python and
    library versions."""
    repo = git_commit(directory)
    return {
        "created_utc": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
        "package_version": __version__,
        "report_format_version": REPORT_FORMAT_VERSION,
        "git_commit": repo["commit"] if repo else None,
        "git_dirty": repo["dirty"] if repo else None,
        "python": platform.python_version(),
        "versions": {name: _version(name) for name in _LIBRARIES},
    }
