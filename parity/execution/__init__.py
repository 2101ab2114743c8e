"""One execution layer for per-symbol work: local processes or a Dask cluster.

A unit of work is a `Task`: a module-level function, its arguments and a name
(the symbol, or ``symbol group k`` in a sweep).  Tasks are pure and read-only:
each opens its own database connection from the DSN it carries and reads its
own candles, so the DSN travels and the data does not, and a task can be run
again after a lost worker with the same result.

Backends (`executor`):

- `LocalExecutor` (``--jobs N``): N = 1 runs the tasks in this process, one
  after the other; N > 1 in N processes, each with Numba limited to
  ``max(1, cores // N)`` threads so that processes x threads <= cores.
- `DaskExecutor` (``--scheduler ADDRESS`` or ``$PARITY_DASK_SCHEDULER``): one
  Dask task per `Task` on a running ``distributed`` cluster, retried on
  another worker when a worker dies.  The password never enters the task
  graph: the DSN is sent without it (`parity.db.connect.redact_dsn`) and the
  workers take the credentials from their own environment (``PGPASSWORD``,
  ``PGPASSFILE``, or a ``PARITY_DSN`` naming the same server with a password).

`run_tasks(tasks, executor, progress)` returns the results in task order, or
raises `ParityError` naming the task when one fails on bad input (nothing is
returned then, so no partial report is written).

To run a new kind of work on either backend (e.g. ``parity calibrate``)::

    with executor(jobs=args.jobs, scheduler=args.scheduler) as ex:
        results = run_tasks([Task(fit_symbol, (config, s), s, dsn=dsn) for s in symbols], ex)
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from parity.errors import ParityError

__all__ = [
    "SCHEDULER_ENV",
    "Executor",
    "Task",
    "call",
    "executor",
    "numba_threads_for",
    "run_tasks",
    "scheduler_address",
    "worker_dsn",
]

#: The environment variable naming the default Dask scheduler.
SCHEDULER_ENV = "PARITY_DASK_SCHEDULER"

#: ``progress(fraction)``: tasks done / total, 0.0 to 1.0.
Progress = Callable[[float], None]


@dataclass(frozen=True)
class Task:
    """``fn(dsn, *args)`` (``fn(*args)`` when ``dsn`` is None), named ``name``
    in messages.  ``fn`` must be importable by module and name, so that
    another process or machine can run it.  ``dsn`` is the database the task
    reads: a backend may send it without its password (`worker_dsn` then
    finds the credentials where the task runs)."""

    fn: Callable[..., Any]
    args: tuple
    name: str
    dsn: str | None = None

    def __call__(self) -> Any:
        """Run the task here."""
        return call(self.fn, self.dsn, self.args)


def call(fn: Callable[..., Any], dsn: str | None, args: tuple) -> Any:
    """``fn(worker_dsn(dsn), *args)``, or ``fn(*args)`` without a DSN."""
    return fn(*args) if dsn is None else fn(worker_dsn(dsn), *args)


class Executor(Protocol):
    """Runs tasks; `run_tasks` is the way to call it."""

    def map(self, tasks: Sequence[Task], progress: Progress) -> list[Any]:
        """The results of ``tasks`` in order; ``progress`` after each task."""
        ...


def numba_threads_for(processes: int, cores: int | None = None) -> int:
    """Numba threads per process so that ``processes`` x threads <= ``cores``
    (default: the CPUs this process may use), at least 1."""
    cores = cores or _cores()
    return max(1, cores // max(1, processes))


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def worker_dsn(dsn: str) -> str:
    """The DSN a task connects with: ``$PARITY_DSN`` of the process running
    it when that names the same server and database as ``dsn`` (it may carry
    the password the task's DSN was sent without), else ``dsn`` (libpq then
    reads ``PGPASSWORD`` / ``PGPASSFILE``)."""
    from parity.db.connect import redact_dsn

    own = os.environ.get("PARITY_DSN")
    if own and own != dsn and redact_dsn(own) == redact_dsn(dsn):
        return own
    return dsn


def run_tasks(tasks: Sequence[Task], ex: Executor, progress: Progress | None = None) -> list[Any]:
    """Run ``tasks`` on ``ex``; results in task order.  A task failing on bad
    input raises `ParityError` ``"<task name>: <message>"``; a bug propagates."""
    if not tasks:
        return []
    return ex.map(list(tasks), progress or (lambda _f: None))


def failure(task: Task, exc: BaseException) -> BaseException:
    """The error to raise for ``task`` failing with ``exc``: bad input becomes
    a `ParityError` naming the task; anything else (a bug) is returned as is."""
    from calculators.errors import InvalidInputError

    if isinstance(exc, ParityError | InvalidInputError):
        return ParityError(f"{task.name}: {exc}")
    return exc


def scheduler_address(scheduler: str | None) -> str | None:
    """The Dask scheduler the work goes to: ``scheduler``, else
    ``$PARITY_DASK_SCHEDULER``, else None (local processes)."""
    return scheduler or os.environ.get(SCHEDULER_ENV) or None


@contextmanager
def executor(
    jobs: int = 1, scheduler: str | None = None, *, connect_timeout: float = 5.0
) -> Iterator[Executor]:
    """The backend for ``--jobs`` / ``--scheduler``: Dask when ``scheduler``
    (or ``$PARITY_DASK_SCHEDULER``) names one, else local processes.  An
    unreachable scheduler raises `ParityError` after ``connect_timeout`` s."""
    if jobs < 1:
        raise ParityError("--jobs must be >= 1")
    address = scheduler_address(scheduler)
    if address:
        from parity.execution.dask_backend import DaskExecutor

        ex = DaskExecutor(address, connect_timeout=connect_timeout)
        try:
            yield ex
        finally:
            ex.close()
        return
    from parity.execution.local import LocalExecutor

    yield LocalExecutor(jobs)
