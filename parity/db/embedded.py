"""The embedded default PostgreSQL server, run with ``pgserver``.

The data directory is ``$PARITY_PGDATA`` if set, else
``$XDG_DATA_HOME/backtest-parity/pgdata`` (``~/.local/share/backtest-parity/pgdata``
when ``XDG_DATA_HOME`` is unset).  The server listens on a Unix socket only, trusts
local connections (no password) and keeps running after the process that started
it exits, so the next ``start()`` (from any process) reuses it.
"""

from __future__ import annotations

import os
import subprocess
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from parity.errors import ParityError

__all__ = ["EmbeddedServer", "data_dir", "dsn", "is_running", "start", "stop"]


@dataclass(frozen=True, slots=True)
class EmbeddedServer:
    """A running embedded server.

    ``dsn``: its connection URI (no password: local trust authentication);
    ``data_dir``: its data directory; ``already_running``: True when ``start()``
    found it running and only attached to it; ``start_seconds``: wall-clock
    seconds ``start()`` took (initdb + start on a new directory, start on a
    stopped one, a few milliseconds to attach to a running one).
    """

    dsn: str
    data_dir: Path
    already_running: bool
    start_seconds: float


def data_dir() -> Path:
    """The embedded server's data directory (absolute; it may not exist yet)."""
    env = os.environ.get("PARITY_PGDATA")
    if env:
        return Path(env).expanduser().absolute()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base).expanduser().absolute() / "backtest-parity" / "pgdata"


def is_running(path: Path | None = None) -> bool:
    """True when a server is running on the data directory ``path`` (default `data_dir()`)."""
    return _postmaster(_resolve(path)) is not None


def start(path: Path | None = None) -> EmbeddedServer:
    """Start the embedded server on ``path`` (default `data_dir()`), or attach to it.

    Creates the directory (and runs initdb) when needed.  The server is left
    running when this process exits.  Raises `ParityError` when it cannot start.
    """
    path = _resolve(path)
    began = time.perf_counter()
    already = _postmaster(path) is not None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        pgserver = _pgserver()
        server = pgserver.get_server(path, cleanup_mode=None)
        if _postmaster(path) is None:
            # A handle this process cached for a server that stop() has since stopped.
            with pgserver.PostgresServer._lock:
                server.ensure_postgres_running()
        uri = server.get_uri()
    except (OSError, subprocess.SubprocessError, AssertionError) as exc:
        raise ParityError(
            f"cannot start the embedded PostgreSQL in {path}: {_one_line(exc)} (log: {path / 'log'})"
        ) from None
    return EmbeddedServer(uri, path, already, time.perf_counter() - began)


def stop(path: Path | None = None) -> bool:
    """Stop the embedded server on ``path`` (default `data_dir()`).

    Returns True if a server was running and is now stopped, False if none was
    running.  Open connections are closed (``pg_ctl stop -m fast``).
    """
    path = _resolve(path)
    if _postmaster(path) is None:
        return False
    pgserver = _pgserver()
    user = "pgserver" if hasattr(os, "geteuid") and os.geteuid() == 0 else None
    try:
        pgserver.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=path, user=user)
    except (OSError, subprocess.SubprocessError) as exc:
        raise ParityError(
            f"cannot stop the embedded PostgreSQL in {path}: {_one_line(exc)}"
        ) from None
    return True


def dsn(path: Path | None = None) -> str:
    """The DSN of the embedded server, starting it if needed."""
    return start(path).dsn


def _resolve(path: Path | None) -> Path:
    return Path(path).expanduser().absolute() if path is not None else data_dir()


def _postmaster(path: Path) -> dict[str, Any] | None:
    """The live postmaster of ``path`` as {pid, status}, or None when none runs."""
    try:
        lines = (path / "postmaster.pid").read_text().splitlines()
        pid = int(lines[0])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by another user (the "pgserver" user when run as root)
    if _is_zombie(pid):
        return None
    return {"pid": pid, "status": lines[-1].strip() if len(lines) > 7 else ""}


def _is_zombie(pid: int) -> bool:
    """True for an exited process not yet reaped (its postmaster.pid can outlive it)."""
    try:
        import psutil

        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except Exception:  # psutil missing, process gone, access denied: not a zombie we can see
        return False


def _pgserver():
    """Import pgserver quietly (platformdirs warns when XDG_RUNTIME_DIR is unset)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
    return pgserver


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
