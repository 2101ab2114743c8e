"""The schema, the symbols table, read-only blocks and the embedded server, on a real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import psycopg2
import psycopg2.errors
import pytest

from parity.cli import main
from parity.db import embedded
from parity.db.connect import connect, read_only
from parity.db.schema import apply_schema, ensure_symbol, list_symbols, symbol_info
from parity.errors import ParityError

pytestmark = pytest.mark.postgres

TABLES = {"symbols", "candles", "trades", "volume_profile", "order_flow", "market_state"}


def catalog(conn) -> dict[str, list[tuple]]:
    """Everything the schema defines in ``public``: columns, constraints, indexes, sequences."""
    queries = {
        "columns": """
            SELECT table_name, column_name, ordinal_position, data_type, is_nullable,
                   column_default
            FROM information_schema.columns WHERE table_schema = 'public'
            ORDER BY table_name, ordinal_position""",
        "constraints": """
            SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
            FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
            WHERE n.nspname = 'public' ORDER BY 1, 2""",
        "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes "
        "WHERE schemaname = 'public' ORDER BY 1, 2",
        "sequences": "SELECT sequence_name, data_type FROM information_schema.sequences "
        "WHERE sequence_schema = 'public' ORDER BY 1",
    }
    out = {}
    with conn.cursor() as cur:
        for name, query in queries.items():
            cur.execute(query)
            out[name] = cur.fetchall()
    return out


@pytest.fixture
def conn(fresh_db: str):
    connection = connect(fresh_db)
    yield connection
    connection.close()


def test_schema_creates_every_table(conn) -> None:
    apply_schema(conn)
    conn.commit()
    tables = {row[0] for row in catalog(conn)["columns"]}
    assert tables == TABLES


def test_apply_schema_twice_leaves_the_same_catalog(conn) -> None:
    apply_schema(conn)
    conn.commit()
    first = catalog(conn)
    ensure_symbol(conn, "XRPETH", 1e-8)
    conn.commit()
    apply_schema(conn)
    conn.commit()
    apply_schema(conn)  # and inside one transaction, twice
    conn.commit()
    assert catalog(conn) == first
    assert symbol_info(conn, "XRPETH")[1] == 1e-8  # data kept


def test_schema_constraints(conn) -> None:
    apply_schema(conn)
    sid = ensure_symbol(conn, "X", 0.01)
    conn.commit()
    with conn.cursor() as cur:
        with pytest.raises(psycopg2.errors.CheckViolation):
            cur.execute(
                "INSERT INTO trades (symbol_id, ts, trade_id, price, amount, side) "
                "VALUES (%s, now(), 1, 1.0, 1.0, 'short')",
                (sid,),
            )
        conn.rollback()
        with pytest.raises(psycopg2.errors.ForeignKeyViolation):
            cur.execute("INSERT INTO candles VALUES (999, now(), 1, 1, 1, 1, 1)")
        conn.rollback()
        # live tables accept the same row twice
        for _ in range(2):
            cur.execute(
                "INSERT INTO market_state (symbol_id, ts, state, confidence) "
                "VALUES (%s, '2024-01-01 10:01:03Z', 'BALANCE', 70)",
                (sid,),
            )
        cur.execute("SELECT count(*) FROM market_state")
        assert cur.fetchone()[0] == 2
    conn.rollback()


def test_ensure_symbol(conn) -> None:
    apply_schema(conn)
    first = ensure_symbol(conn, "XRPETH", 1e-8)
    assert ensure_symbol(conn, "XRPETH") == first
    assert ensure_symbol(conn, "XRPETH", 1e-8) == first
    inferred = ensure_symbol(conn, "BTCUSDT", prices=np.array([46319.0, 46320.5]))
    assert symbol_info(conn, "BTCUSDT") == (inferred, 0.1)
    assert [s.symbol for s in list_symbols(conn)] == ["BTCUSDT", "XRPETH"]
    assert list_symbols(conn)[1] == (first, "XRPETH", 1e-8)


def test_ensure_symbol_errors(conn) -> None:
    apply_schema(conn)
    ensure_symbol(conn, "XRPETH", 1e-8)
    with pytest.raises(ParityError, match=r"exists with tick size 1e-08, not 0\.5"):
        ensure_symbol(conn, "XRPETH", 0.5)
    with pytest.raises(ParityError, match="new symbol 'NEW' needs a tick size"):
        ensure_symbol(conn, "NEW")
    with pytest.raises(ParityError, match="must be a number > 0"):
        ensure_symbol(conn, "NEW", -1.0)
    with pytest.raises(ParityError, match="invalid symbol name"):
        ensure_symbol(conn, "  ", 1.0)


def test_symbol_info_of_an_unknown_symbol(conn) -> None:
    apply_schema(conn)
    with pytest.raises(ParityError, match=r"^unknown symbol 'NOPE'$"):
        symbol_info(conn, "NOPE")


def test_functions_never_commit(fresh_db: str, conn) -> None:
    apply_schema(conn)
    ensure_symbol(conn, "X", 1.0)
    conn.rollback()
    other = connect(fresh_db)
    try:
        with other.cursor() as cur:
            cur.execute("SELECT to_regclass('public.symbols')")
            assert cur.fetchone()[0] is None
    finally:
        other.close()


@pytest.mark.parametrize("autocommit", [False, True])
def test_read_only_refuses_writes(conn, autocommit: bool) -> None:
    apply_schema(conn)
    ensure_symbol(conn, "X", 1.0)
    conn.commit()
    conn.autocommit = autocommit
    with read_only(conn):
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM symbols")
            assert cur.fetchone()[0] == 1
            cur.execute("SHOW transaction_read_only")
            assert cur.fetchone()[0] == "on"
            cur.execute("SHOW transaction_isolation")
            assert cur.fetchone()[0] == "repeatable read"
    with pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
        with read_only(conn), conn.cursor() as cur:
            cur.execute("DELETE FROM symbols")
    assert conn.info.transaction_status == psycopg2.extensions.TRANSACTION_STATUS_IDLE
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM symbols")
        assert cur.fetchone()[0] == 1


def test_read_only_needs_an_idle_connection(conn) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
    with pytest.raises(RuntimeError, match="no transaction in progress"):
        with read_only(conn):
            pass


# ----------------------------------------------------------------------------- embedded


@pytest.fixture
def pgdata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "pgdata"
    monkeypatch.setenv("PARITY_PGDATA", str(path))
    monkeypatch.delenv("PARITY_DSN", raising=False)
    yield path
    embedded.stop(path)


def test_embedded_server_starts_survives_and_stops(pgdata: Path, capsys) -> None:
    assert embedded.data_dir() == pgdata.absolute()
    assert not embedded.is_running()
    cold = embedded.start()
    assert not cold.already_running
    assert cold.data_dir == pgdata.absolute()
    assert (pgdata / "PG_VERSION").exists()
    warm = embedded.start()
    assert warm.already_running and warm.dsn == cold.dsn
    conn = connect(embedded.dsn())
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
    conn.close()

    assert main(["db", "start"]) == 0
    out = capsys.readouterr().out
    assert "already running" in out and f"data directory: {pgdata}" in out
    assert main(["db", "url"]) == 0
    url = capsys.readouterr().out.strip()
    assert url.startswith("postgresql://postgres@") and ":@" not in url

    assert main(["db", "stop"]) == 0
    assert "stopped" in capsys.readouterr().out
    assert not embedded.is_running()
    assert embedded.stop() is False
    # the same process can start it again (from the stopped data directory)
    again = embedded.start()
    assert not again.already_running
    conn = connect(again.dsn)
    conn.close()


def test_db_url_prefers_dsn_option_then_env(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("PARITY_DSN", "postgresql://alice:s3cret@envhost/db")
    assert main(["db", "url"]) == 0
    assert capsys.readouterr().out.strip() == "postgresql://alice@envhost/db"
    assert main(["db", "url", "--dsn", "host=opt password=s3cret dbname=x"]) == 0
    assert capsys.readouterr().out.strip() == "host=opt dbname=x"
