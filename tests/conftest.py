"""Shared fixtures: the hypothesis profile, the real-data directory and a real PostgreSQL.

- ``data_dir``: ``../shared/data`` or ``$PARITY_DATA_DIR``.  A test that needs
  the real data skips when it is absent on a developer machine, and fails when
  ``CI`` is set (in CI the data is always present).
- ``pg_dsn``: a DSN of a private, real PostgreSQL started with ``pgserver`` in a
  temporary directory for the whole session (or ``$PARITY_TEST_DSN``).
- ``fresh_db``: a DSN of a new, empty database on that server, per test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from parity.datadir import resolve_data_dir

settings.register_profile(
    "ci",
    max_examples=60,
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "dev", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def real_data_dir() -> Path | None:
    """The real-data directory if it holds the files, else None."""
    path = resolve_data_dir()
    return path if (path / "SOURCES.md").is_file() else None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = real_data_dir()
    if path is None:
        message = "real market data not found (set PARITY_DATA_DIR or place ../shared/data)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def pg_dsn(tmp_path_factory) -> str:
    """A DSN of a real PostgreSQL server for the test session."""
    dsn = os.environ.get("PARITY_TEST_DSN")
    if dsn:
        yield dsn
        return
    import pgserver

    server = pgserver.get_server(str(tmp_path_factory.mktemp("pgdata")), cleanup_mode="stop")
    yield server.get_uri()
    server.cleanup()


@pytest.fixture
def fresh_db(pg_dsn: str) -> str:
    """A DSN of a new empty database on the session server, dropped afterwards."""
    from databases import scratch_database

    with scratch_database(pg_dsn) as dsn:
        yield dsn
