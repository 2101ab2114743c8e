"""The local backend: this process (``--jobs 1``) or N worker processes."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import FIRST_EXCEPTION, ProcessPoolExecutor, wait
from typing import Any

from parity.execution import Progress, Task, call, failure, numba_threads_for

__all__ = ["LocalExecutor"]


class LocalExecutor:
    """``jobs`` = 1: tasks run here, in order.  ``jobs`` > 1: a pool of
    ``jobs`` processes, each limited to `numba_threads_for` (``jobs``) Numba
    threads."""

    def __init__(self, jobs: int = 1) -> None:
        self.jobs = max(1, int(jobs))

    def map(self, tasks: Sequence[Task], progress: Progress) -> list[Any]:
        progress(0.0)
        if self.jobs == 1 or len(tasks) == 1:
            results = []
            for i, task in enumerate(tasks):
                try:
                    results.append(task())
                except Exception as exc:
                    raise failure(task, exc) from exc
                progress((i + 1) / len(tasks))
            return results
        threads = numba_threads_for(self.jobs)
        with ProcessPoolExecutor(
            max_workers=min(self.jobs, len(tasks)),
            initializer=_limit_numba,
            initargs=(threads,),
        ) as pool:
            futures = [pool.submit(call, task.fn, task.dsn, task.args) for task in tasks]
            owner = {f: t for f, t in zip(futures, tasks, strict=True)}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for future in done:
                    exc = future.exception()
                    if exc is not None:
                        pool.shutdown(cancel_futures=True)
                        raise failure(owner[future], exc) from exc
                progress((len(futures) - len(pending)) / len(futures))
            return [f.result() for f in futures]


def _limit_numba(threads: int) -> None:
    """Pool initializer: at most ``threads`` Numba threads in this process."""
    import numba

    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
