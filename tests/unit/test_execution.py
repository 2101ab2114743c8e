"""The execution layer without a cluster: what a Dask task carries, where the
credentials come from, Numba's thread budget, and the local backend."""

from __future__ import annotations

import os
import pickle
import time

import pytest

from calculators import InvalidInputError
from parity.errors import ParityError
from parity.execution import Task, executor, numba_threads_for, run_tasks, worker_dsn
from parity.execution.dask_backend import submission, threads_by_host

SECRET = "s3cr3t-pw"


def _echo(dsn, value):
    return (dsn, value)


def _square(value):
    return value * value


def _bad(value):
    raise InvalidInputError(f"candle row 3: high below low ({value})")


def _numba_threads(_value):
    import numba

    return numba.get_num_threads()


@pytest.mark.parametrize(
    "dsn",
    [
        f"postgresql://bob:{SECRET}@db.example:5432/market?sslmode=require",
        f"host=db.example dbname=market user=bob password={SECRET}",
        f"postgresql://bob@db.example/market?password={SECRET}",
    ],
)
def test_a_dask_task_carries_no_password(dsn):
    key, args = submission(Task(_echo, ("x",), "BTC-USD", dsn=dsn))
    assert SECRET not in key and SECRET not in repr(args)
    assert SECRET not in repr(pickle.loads(pickle.dumps(args)))
    assert "db.example" in args[1] and "BTC-USD" in key
    assert args[0] is _echo and args[2] == ("x",)


def test_keys_are_unique_per_submission():
    task = Task(_echo, (1,), "A", dsn="host=h")
    assert submission(task)[0] != submission(task)[0]


def test_a_worker_takes_the_password_from_its_own_parity_dsn(monkeypatch):
    sent = "postgresql://bob@db.example:5432/market"
    monkeypatch.setenv("PARITY_DSN", f"postgresql://bob:{SECRET}@db.example:5432/market")
    assert worker_dsn(sent) == os.environ["PARITY_DSN"]
    # another server or database: the task's DSN as sent (libpq adds PGPASSWORD/PGPASSFILE)
    assert worker_dsn("postgresql://bob@other:5432/market") == "postgresql://bob@other:5432/market"
    monkeypatch.delenv("PARITY_DSN")
    assert worker_dsn(sent) == sent


def test_numba_threads_times_processes_never_exceed_the_cores():
    for cores in (1, 2, 3, 8, 64):
        for processes in range(1, 12):
            threads = numba_threads_for(processes, cores)
            assert threads >= 1
            assert processes * threads <= max(cores, processes)
    assert numba_threads_for(1, 8) == 8 and numba_threads_for(3, 8) == 2


def test_threads_by_host_counts_every_worker_of_a_host():
    workers = {
        "tcp://10.0.0.1:1": {"host": "10.0.0.1", "nthreads": 1},
        "tcp://10.0.0.1:2": {"host": "10.0.0.1", "nthreads": 1},
        "tcp://10.0.0.2:1": {"host": "10.0.0.2", "nthreads": 2},
    }
    cores = {"tcp://10.0.0.1:1": 8, "tcp://10.0.0.1:2": 8, "tcp://10.0.0.2:1": 2}
    assert threads_by_host(workers, cores) == {"10.0.0.1": 4, "10.0.0.2": 1}


@pytest.mark.parametrize("jobs", [1, 2])
def test_local_results_come_in_task_order(jobs):
    tasks = [Task(_square, (v,), f"T{v}") for v in range(7)]
    seen = []
    with executor(jobs=jobs, scheduler=None) as ex:
        assert run_tasks(tasks, ex, seen.append) == [v * v for v in range(7)]
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_task_failing_on_bad_input_is_named(jobs):
    tasks = [Task(_square, (2,), "GOOD"), Task(_bad, (7,), "BROKEN-USD")]
    with executor(jobs=jobs) as ex, pytest.raises(ParityError, match=r"^BROKEN-USD: candle row 3"):
        run_tasks(tasks, ex)


def test_each_local_process_gets_its_share_of_the_cores():
    with executor(jobs=2) as ex:
        threads = run_tasks([Task(_numba_threads, (i,), str(i)) for i in range(2)], ex)
    assert threads == [numba_threads_for(2)] * 2


def test_an_unreachable_scheduler_is_bad_input(monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.delenv("PARITY_DASK_SCHEDULER", raising=False)
    with pytest.raises(
        ParityError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9 "
    ):
        with executor(scheduler="tcp://127.0.0.1:9", connect_timeout=1.0):
            pass


@pytest.mark.parametrize(
    "address", ["inproc://", "garbage://x", "tcp://user:s3cret@127.0.0.1:1", "tcp://host", "::"]
)
def test_a_malformed_scheduler_address_is_bad_input_at_once(monkeypatch, address):
    pytest.importorskip("distributed")
    monkeypatch.delenv("PARITY_DASK_SCHEDULER", raising=False)
    began = time.perf_counter()
    with pytest.raises(ParityError, match="is not a Dask scheduler address") as info:
        with executor(scheduler=address, connect_timeout=5.0):
            pass
    assert time.perf_counter() - began < 2.0  # refused before any connection attempt
    assert "s3cret" not in str(info.value)


def test_jobs_must_be_positive():
    with pytest.raises(ParityError, match="--jobs"):
        with executor(jobs=0):
            pass


def test_the_scheduler_comes_from_the_environment_by_default(monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setenv("PARITY_DASK_SCHEDULER", "tcp://127.0.0.1:7")
    with pytest.raises(ParityError, match=r"scheduler at tcp://127\.0\.0\.1:7 "):
        with executor(jobs=1, connect_timeout=1.0):
            pass
