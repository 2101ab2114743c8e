"""A Dask cluster of separate processes on this machine: ``dask scheduler`` and
``dask worker`` started as subprocesses (for tests, benchmarks and trying
``--scheduler`` out; a real cluster is started by its own tools, see
``docs/execution.md``).

::

    with ProcessCluster(workdir, workers=2) as cluster:
        subprocess.run(["parity", "run", "--all", "--scheduler", cluster.address])
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from parity.errors import ParityError

__all__ = ["ProcessCluster"]


class ProcessCluster:
    """A scheduler on 127.0.0.1 (a free port) and ``workers`` workers of
    ``nthreads`` threads each, without nannies (a killed worker stays dead).
    Logs go to ``workdir``.  Everything started is stopped on exit."""

    def __init__(self, workdir: str | Path, workers: int = 2, nthreads: int = 1) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.nthreads = nthreads
        self.address = ""
        self.processes: list[subprocess.Popen] = []
        self._initial = workers

    def __enter__(self) -> ProcessCluster:
        try:
            self._start_scheduler()
            for _ in range(self._initial):
                self.add_worker()
            self.wait_for_workers(self._initial)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        env = dict(os.environ)
        env.pop("PARITY_DASK_SCHEDULER", None)
        with open(self.workdir / f"{name}.log", "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "dask", *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )
        self.processes.append(proc)
        return proc

    def _start_scheduler(self, timeout: float = 30.0) -> None:
        info = self.workdir / "scheduler.json"
        info.unlink(missing_ok=True)
        scheduler = self._spawn(
            "scheduler",
            ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(info)],
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.address = json.loads(info.read_text())["address"]
                return
            except (OSError, ValueError, KeyError):
                pass
            if scheduler.poll() is not None or time.monotonic() > deadline:
                raise ParityError(f"the Dask scheduler did not start; see {self.workdir}")
            time.sleep(0.1)

    def add_worker(self) -> subprocess.Popen:
        """Start one more worker (not waited for: see `wait_for_workers`)."""
        return self._spawn(
            f"worker-{len(self.processes)}",
            ["worker", self.address, "--nthreads", str(self.nthreads), "--no-nanny",
             "--no-dashboard", "--local-directory", str(self.workdir)],
        )  # fmt: skip

    def wait_for_workers(self, n: int, timeout: float = 60.0) -> None:
        """Block until ``n`` workers are connected."""
        from distributed import Client

        with Client(self.address, timeout=10, set_as_default=False) as client:
            client.wait_for_workers(n, timeout=timeout)

    def close(self) -> None:
        """Stop every process started (terminate, then kill after 10 s)."""
        for proc in reversed(self.processes):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.processes:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
