"""Helpers of the reliability suite (issue 8); the fixtures are in conftest.py.

Every case runs the command line as a user would and asserts the contract of
``docs/parity.md``: the exit code (2 bad input, 3 a bug), exactly one line on
stderr, no traceback, and nothing written or deleted -- neither in the
sandbox folder (a sentinel beside ``--out`` and one inside a marked ``--out``;
the whole tree is compared byte for byte) nor in the database (checksums of
every table).

- ``world``: one database per module on the session server (``pg_dsn``) with
  the demo world built by `parity.worlds.build_demo_world` (2 days, fast);
- ``sandbox``: a temporary working directory (the current directory during
  the test) holding ``beside.txt`` and ``out/`` (marked by a previous run,
  with ``out/inside.txt``);
- `cli`: `parity.cli.main` in-process, returning (code, stdout, stderr lines);
- `assert_refused`: the contract above.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import psycopg2
import pytest
from databases import create_database

from parity.cli import main
from parity.io.outdir import MARKER

TABLES = ("symbols", "candles", "trades", "volume_profile", "order_flow", "market_state")


def new_database(pg_dsn: str) -> str:
    """A DSN of a new empty database on the server of ``pg_dsn``."""
    return create_database(pg_dsn, "r")


def build_world(dsn: str) -> None:
    """The demo world (2 simulated days, 25 h of replayed live rows) in ``dsn``."""
    from parity.db.connect import connect
    from parity.worlds import build_demo_world

    conn = connect(dsn)
    try:
        build_demo_world(conn, days=2, seed=1)
        conn.commit()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def world(pg_dsn: str) -> str:
    """A DSN of a database holding the demo world, built once per module."""
    dsn = new_database(pg_dsn)
    build_world(dsn)
    return dsn


def checksums(dsn: str) -> dict[str, tuple]:
    """Row count and md5 of every table of this project's schema (absent: None)."""
    conn = psycopg2.connect(dsn)
    sums: dict[str, tuple] = {}
    try:
        with conn.cursor() as cur:
            for table in TABLES:
                cur.execute("SELECT to_regclass(%s)", (table,))
                if cur.fetchone()[0] is None:
                    sums[table] = None
                    continue
                cur.execute(
                    f"SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), ''))"
                    f" FROM {table} t"
                )
                sums[table] = cur.fetchone()
    finally:
        conn.close()
    return sums


def tree(root: Path) -> dict[str, str]:
    """Every file and folder under ``root``: relative path -> sha256 (folders: "dir")."""
    found = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        found[rel] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture
def sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The working directory of a case: ``beside.txt``, and ``out/`` as a previous
    run left it (the marker) with ``out/inside.txt`` added by the user."""
    (tmp_path / "beside.txt").write_text("the user's file beside --out\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / MARKER).write_text("written by backtest-parity\n")
    (out / "inside.txt").write_text("the user's file inside --out\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PARITY_DSN", raising=False)
    monkeypatch.delenv("PARITY_DEBUG", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    return tmp_path


def cli(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str, list[str]]:
    """Run ``parity argv`` in-process: (exit code, stdout, stderr lines)."""
    capsys.readouterr()
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip().splitlines()


def assert_one_line(err: list[str], *fragments: str) -> None:
    """Exactly one line on stderr, no traceback, naming every ``fragments`` (case-insensitive)."""
    assert len(err) == 1, err
    line = err[0]
    assert "Traceback" not in line and "np.float64" not in line, line
    assert line.startswith("parity: error: "), line
    for fragment in fragments:
        assert fragment.lower() in line.lower(), (fragment, line)


def assert_refused(
    code: int,
    err: list[str],
    *fragments: str,
    expected: int = 2,
    sandbox: Path | None = None,
    before_tree: dict | None = None,
    dsn: str | None = None,
    before_sums: dict | None = None,
) -> None:
    """The contract: exit code, one line naming ``fragments``, nothing changed."""
    assert code == expected, (code, err)
    assert_one_line(err, *fragments)
    if sandbox is not None:
        assert tree(sandbox) == before_tree
        assert (sandbox / "beside.txt").is_file() and (sandbox / "out" / "inside.txt").is_file()
    if dsn is not None:
        assert checksums(dsn) == before_sums
