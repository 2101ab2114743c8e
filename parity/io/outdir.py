"""The one safety check for an output folder (``--out``), its marker and its lock.

Every command that writes a folder goes through `atomic_directory`
(`parity.io.atomic`), which calls `check_out_dir` first and holds
`out_dir_lock` while it writes; the command-line option type
``parity.cli.options.out_dir`` runs the same check when the arguments are
parsed, so a refused ``--out`` costs nothing and touches nothing.

Rules (each refusal is a `ParityError`, exit 2, and nothing is touched):

- an empty ``--out`` is refused;
- the current directory, ``$HOME``, and any ancestor of either (``/``) is refused;
- an existing path that is not a folder (a regular file, a device, ...) is refused;
- an existing folder is replaced only if it is empty or carries the marker
  file `MARKER`, which the tool writes into every folder it creates: a folder
  the tool did not write is never deleted.  (A report folder written before
  the marker existed is recognised by its contents: only names of
  `LEGACY_FILES`, and a ``parity.json`` whose ``"tool"`` is
  ``"backtest-parity"`` or a ``result.json`` with both ``params_digest`` and
  ``params``; familiar file names alone prove nothing.)
- an ``--out`` that cannot be resolved (a symlink loop) is refused.

Two runs writing the same folder at once: the second waits for the first
(`out_dir_lock`, an ``flock`` on ``.<name>.lock`` beside the folder), then
replaces its result.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from parity.errors import ParityError

__all__ = [
    "LEGACY_FILES",
    "MARKER",
    "check_files_dir",
    "check_out_dir",
    "is_marked",
    "out_dir_lock",
    "write_marker",
]

#: The file the tool writes into every output folder; only marked (or empty)
#: folders may be replaced.
MARKER = ".parity-output"
#: The files of the report folders written before `MARKER` existed.
LEGACY_FILES = frozenset(
    {
        "parity.json", "divergences.jsonl", "report.md", "report.html", "junit.xml",
        "result.json", "trades.csv", "equity.csv", "sweep.csv", "sweep.md", "sweep.html",
    }
)  # fmt: skip
#: The ``parity.json`` key and value of every report the tool wrote.
_REPORT_TOOL = ("tool", "backtest-parity")
#: The keys of every ``result.json`` the tool wrote (``parity backtest``).
_RESULT_KEYS = frozenset({"params_digest", "params"})
_MARKER_TEXT = "written by backtest-parity; this folder is replaced by the next run\n"

_log = logging.getLogger("parity.io")


def check_out_dir(out: str | os.PathLike | None) -> Path:
    """The absolute path of output folder ``out`` if the tool may (re)write it.

    Raises `ParityError` (one line naming the folder and the rule) for an empty
    path, the current directory, ``$HOME`` or an ancestor of either, an
    existing non-folder, or a non-empty folder without the `MARKER` file.
    Touches nothing.
    """
    text = "" if out is None else os.fspath(out)
    if not str(text).strip():
        raise ParityError(
            "output folder is empty (''); give the folder to write, e.g. parity-report"
        )
    try:
        target = Path(text).expanduser().resolve()
    except (RuntimeError, OSError) as exc:  # a symlink loop, an unreadable path
        raise ParityError(
            f"output folder {text!r} cannot be resolved (a symlink loop?): {exc}"
        ) from None
    protected = {Path.cwd().resolve(): "the current directory"}
    home = os.environ.get("HOME")
    if home:
        protected.setdefault(Path(home).expanduser().resolve(), "your home directory ($HOME)")
    for place, name in protected.items():
        if target == place or target in place.parents:
            what = name if target == place else f"an ancestor of {name}"
            raise ParityError(
                f"output folder {text!r} is {what}; refusing to replace it, give a new folder"
            )
    if target.exists() or target.is_symlink():
        if not target.is_dir():
            raise ParityError(
                f"output folder {text!r} exists and is not a folder; refusing to replace it"
            )
        if not is_marked(target) and any(target.iterdir()):
            raise ParityError(
                f"output folder {text!r} is not empty and was not written by parity "
                f"(no {MARKER} file); refusing to replace it, give a new folder"
            )
    return target


def check_files_dir(out: str | os.PathLike | None) -> Path:
    """The path of a folder a command writes named files into (``parity simulate
    --out``), never replacing the folder itself.  Raises `ParityError` for an
    empty path (which would mean the current directory) or an existing path
    that is not a folder.  Touches nothing."""
    text = "" if out is None else os.fspath(out)
    if not str(text).strip():
        raise ParityError("output folder is empty (''); give the folder to write into")
    target = Path(text).expanduser()
    if target.exists() and not target.is_dir():
        raise ParityError(f"output folder {text!r} exists and is not a folder")
    return target


#: The first line of every single file the tool writes (``parity calibrate
#: --out``, `parity.calibration.output.params_toml`) starts with this; an
#: existing file without it is not replaced.
FILE_SIGNATURE = "# parity calibrate: "


def check_out_file(out: str | os.PathLike | None) -> Path:
    """The path of one output file (``parity calibrate --out FILE``), replaced
    atomically by `parity.io.atomic.atomic_file`.  Raises `ParityError` for an
    empty path, one that is an existing folder (or ends with a separator), and
    an existing file the tool did not write (its first line does not start
    with `FILE_SIGNATURE`).  Touches nothing."""
    text = "" if out is None else os.fspath(out)
    if not str(text).strip():
        raise ParityError("output file is empty (''); give the file to write")
    target = Path(text).expanduser()
    if str(text).endswith(("/", os.sep)) or target.is_dir():
        raise ParityError(f"output file {text!r} is a folder; give a file name")
    if target.exists() and not _written_by_us(target):
        raise ParityError(
            f"output file {text!r} exists and was not written by parity; "
            "remove it or give another name"
        )
    return target


def _written_by_us(path: Path) -> bool:
    if not path.is_file():  # a FIFO, a device, ...: never opened (a FIFO would block)
        return False
    try:
        with path.open("r", encoding="utf-8") as handle:
            return handle.readline().startswith(FILE_SIGNATURE)
    except (OSError, UnicodeDecodeError):
        return False


def is_marked(folder: Path) -> bool:
    """True when ``folder`` carries the tool's `MARKER` file, or is a report
    folder of an earlier version: only `LEGACY_FILES` (regular files), and a
    ``parity.json`` or ``result.json`` whose contents prove the tool wrote it."""
    if (folder / MARKER).is_file():
        return True
    entries = list(folder.iterdir())
    return (
        bool(entries)
        and all(e.name in LEGACY_FILES and e.is_file() and not e.is_symlink() for e in entries)
        and (
            _json_object(folder / "parity.json").get(_REPORT_TOOL[0]) == _REPORT_TOOL[1]
            or _RESULT_KEYS <= _json_object(folder / "result.json").keys()
        )
    )


def _json_object(path: Path) -> dict:
    """The JSON object in file ``path``; empty if it is missing or not one."""
    if not path.is_file():
        return {}
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def write_marker(folder: Path) -> None:
    """Write the `MARKER` file into ``folder`` (a staging folder of the tool)."""
    (folder / MARKER).write_text(_MARKER_TEXT, encoding="utf-8")


@contextmanager
def out_dir_lock(target: Path) -> Iterator[None]:
    """Hold an exclusive lock for writing output folder ``target``.

    The lock is an ``flock`` on the file ``.<name>.lock`` beside the folder
    (released by the kernel if the process dies).  A second run into the same
    folder waits for the first, with a note on stderr.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    lock_path = target.parent / f".{target.name}.lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _log.info("waiting for another parity run writing %s", target)
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
