"""The Dask backend: one ``distributed`` task per `Task` on a running cluster.

- Connecting: ``Client(address)`` with a short timeout; an unreachable
  scheduler is a `ParityError` (one line, exit 2).
- The task graph holds the function, its arguments and the DSN *without* its
  password (`submission`); a worker connects with `worker_dsn`, so the
  credentials come from the worker's environment.
- Retries: every task may run again (``RETRIES`` times after an error; a task
  whose worker died is moved to another worker by the scheduler).  Tasks only
  read, so a second run gives the same result.
- Numba threads: a worker plugin sets each worker's threads per task so that
  the threads of all workers of a host do not exceed its cores
  (`threads_by_host`); a worker that joins later uses its own core count.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from parity.db.connect import redact_dsn
from parity.errors import ParityError
from parity.execution import Progress, Task, call, failure, numba_threads_for

__all__ = ["RETRIES", "DaskExecutor", "submission", "threads_by_host"]

#: How many times a failed task is tried again.
RETRIES = 2

# Numba threads per task in this worker process (set by `_NumbaThreads`).
_numba_threads: int | None = None


def submission(task: Task) -> tuple[str, tuple]:
    """The key and the arguments of ``task``'s Dask task: ``(fn, dsn without
    password, args)``.  Nothing in either holds a password."""
    key = f"parity-{task.fn.__name__}-{task.name}-{uuid.uuid4().hex[:12]}".replace(" ", "_")
    dsn = None if task.dsn is None else redact_dsn(task.dsn)
    return key, (task.fn, dsn, task.args)


def _run(fn, dsn, args) -> Any:
    """A Dask task: limit Numba's threads in this worker thread, then run."""
    if _numba_threads is not None:
        import numba

        numba.set_num_threads(min(_numba_threads, numba.config.NUMBA_NUM_THREADS))
    return call(fn, dsn, args)


def threads_by_host(workers: dict[str, dict], cores: dict[str, int]) -> dict[str, int]:
    """Numba threads per task for each host: its cores (the largest any of
    its workers reports) over the Dask threads of all its workers, at least 1.
    ``workers``: ``scheduler_info()["workers"]``; ``cores``: address -> cores."""
    total: dict[str, int] = {}
    host_cores: dict[str, int] = {}
    for address, info in workers.items():
        host = info.get("host") or urlsplit(address).hostname or address
        total[host] = total.get(host, 0) + int(info.get("nthreads", 1))
        host_cores[host] = max(host_cores.get(host, 1), int(cores.get(address, 1)))
    return {h: numba_threads_for(total[h], host_cores[h]) for h in total}


def _cpu_count() -> int:
    from parity.execution import _cores

    return _cores()


try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # pragma: no cover - dask is an optional extra
    WorkerPlugin = object  # type: ignore[assignment,misc]


class _NumbaThreads(WorkerPlugin):
    """Sets the worker's Numba threads per task (see the module docstring)."""

    name = "parity-numba-threads"

    def __init__(self, by_host: dict[str, int]) -> None:
        self.by_host = by_host

    def setup(self, worker) -> None:
        global _numba_threads
        host = urlsplit(worker.address).hostname or ""
        _numba_threads = self.by_host.get(host) or numba_threads_for(worker.state.nthreads)


def _checked_address(address: str) -> str:
    """``address`` if it names a scheduler over TCP or TLS (``tcp://host:port``,
    ``tls://...``, or a bare ``host:port``); `ParityError` otherwise, before any
    connection is tried (the message never shows a ``user:password@`` part)."""
    from distributed.comm.addressing import parse_address

    shown = re.sub(r"^([^:/]*://)?[^/@]*@", r"\1", address)  # never show user:password@
    try:
        scheme, location = parse_address(address, strict=False)
    except (ValueError, TypeError):
        raise ParityError(f"--scheduler {shown!r} is not a Dask scheduler address") from None
    host, _, port = location.rpartition(":")
    if scheme not in ("tcp", "tls") or "@" in location or not host or not port.isdigit():
        raise ParityError(
            f"--scheduler {shown!r} is not a Dask scheduler address (use tcp://HOST:PORT)"
        )
    return address


class DaskExecutor:
    """Runs tasks on the Dask cluster whose scheduler listens at ``address``."""

    def __init__(self, address: str, *, connect_timeout: float = 5.0) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise ParityError(
                "--scheduler needs Dask: pip install 'backtest-parity[dask]'"
            ) from None
        logging.getLogger("distributed").setLevel(logging.CRITICAL)
        self.address = address = _checked_address(address)
        try:
            self.client = Client(address, timeout=connect_timeout, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise ParityError(
                f"cannot reach the Dask scheduler at {address} "
                f"(within {connect_timeout:g} s): {type(exc).__name__}"
            ) from None
        workers = self.client.scheduler_info().get("workers", {})
        cores = self.client.run(_cpu_count) if workers else {}
        self.client.register_plugin(_NumbaThreads(threads_by_host(workers, cores)))

    def map(self, tasks: Sequence[Task], progress: Progress) -> list[Any]:
        from distributed import as_completed

        progress(0.0)
        futures = []
        owner = {}
        for task in tasks:
            key, args = submission(task)
            future = self.client.submit(_run, *args, key=key, retries=RETRIES, pure=False)
            futures.append(future)
            owner[future.key] = task
        done = 0
        try:
            for future in as_completed(futures, loop=self.client.loop):
                if future.status == "error":
                    raise failure(owner[future.key], future.exception())
                done += 1
                progress(done / len(futures))
            return self.client.gather(futures)
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def close(self) -> None:
        self.client.close()
