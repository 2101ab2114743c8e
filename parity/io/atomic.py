"""Write a directory of outputs atomically.

Files are written into a fresh temporary directory beside the target; only
when all are complete does it replace the target, by two renames (the old
directory aside, the new one in place), then the old one is deleted.  A run
killed while writing leaves the previous directory untouched; a run killed
between the two renames leaves the previous directory as the hidden
``.<out>.swap-<pid>-<token>`` beside an absent ``<out>`` (the next run brings
it back).  The tool's own folders beside ``<out>`` are hidden and have exactly
the form ``.<out>.staging-<pid>-<token>`` or ``.<out>.swap-<pid>-<token>``
(``token``: 16 random hex digits), so they cannot be a user's folder; no other
folder beside ``<out>`` is ever restored or removed.

`atomic_directory` is the one way a command writes a folder: it refuses a
target the tool may not replace (`parity.io.outdir.check_out_dir`: an empty
path, the current or home directory or their ancestors, a file, a non-empty
folder without the tool's marker), holds a lock so two runs into the same
folder do not collide, and marks the folder it writes (`parity.io.outdir.MARKER`).
"""

from __future__ import annotations

import glob
import os
import re
import secrets
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from parity.io.outdir import check_out_dir, is_marked, out_dir_lock, write_marker

__all__ = ["atomic_directory", "atomic_file"]


@contextmanager
def atomic_directory(target: str | Path) -> Iterator[Path]:
    """Yield an empty staging directory; on normal exit it becomes ``target``.

    ``target`` is checked first (`parity.io.outdir.check_out_dir`; a refused
    target raises `ParityError` and nothing is touched).  On an exception the
    staging directory is removed and ``target`` is left as it was.  The
    folder written carries the tool's marker file.
    """
    target = check_out_dir(target)
    with out_dir_lock(target):
        target = check_out_dir(target)  # again: another run may have changed it meanwhile
        for stale in _own_folders(target, "staging"):
            if is_marked(stale) or not any(stale.iterdir()):
                shutil.rmtree(stale, ignore_errors=True)
        for old in _own_folders(target, "swap"):
            if not (is_marked(old) or not any(old.iterdir())):
                continue
            if target.exists() or target.is_symlink():
                shutil.rmtree(old, ignore_errors=True)
            else:  # a run died between the renames: bring the last report back
                old.rename(target)
        staging = _own_name(target, "staging")
        staging.mkdir(mode=0o700)
        try:
            write_marker(staging)
            yield staging
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        os.chmod(staging, 0o755)
        if target.exists():
            aside = _own_name(target, "swap")
            target.rename(aside)
            staging.rename(target)
            shutil.rmtree(aside, ignore_errors=True)
        else:
            staging.rename(target)


def _own_name(target: Path, kind: str) -> Path:
    """A fresh hidden folder name beside ``target`` of the tool's own form:
    ``.<name>.<kind>-<pid>-<16 random hex digits>``."""
    return target.parent / f".{target.name}.{kind}-{os.getpid()}-{secrets.token_hex(8)}"


def _own_folders(target: Path, kind: str) -> list[Path]:
    """The folders beside ``target`` named exactly as `_own_name` names them
    (never a symlink), newest first."""
    exact = re.compile(rf"\.{re.escape(target.name)}\.{kind}-[0-9]+-[0-9a-f]{{16}}")
    found = [
        p
        for p in target.parent.glob(f".{glob.escape(target.name)}.{kind}-*")
        if exact.fullmatch(p.name) and p.is_dir() and not p.is_symlink()
    ]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


@contextmanager
def atomic_file(target: str | Path, mode: str = "w") -> Iterator:
    """Open a temporary file beside ``target`` for writing; on normal exit it
    replaces ``target`` (``os.replace``), on an exception it is deleted.

    The file written has the permissions of the file it replaces, or those of
    a newly created file (``0o666`` less the umask) when there was none."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        permissions = stat.S_IMODE(target.stat().st_mode)
    except OSError:  # no file yet
        permissions = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        os.fchmod(fd, permissions)
        with os.fdopen(fd, mode) as handle:
            yield handle
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's umask (read by setting it and putting it back)."""
    current = os.umask(0o022)
    os.umask(current)
    return current
