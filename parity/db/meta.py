"""The world markers: ``parity_meta.parity_fixtures``, one row per ready-made
world (the parameters it was built with and what it holds), in a schema of its
own apart from the live tables.  Nothing here commits.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg2.extensions
from psycopg2 import sql

__all__ = ["META_SCHEMA", "META_TABLE", "ensure_meta", "lock_world", "read_marker", "write_marker"]

Connection = psycopg2.extensions.connection

#: Where world markers live: a schema of its own, apart from the live tables.
META_SCHEMA = "parity_meta"
META_TABLE = "parity_fixtures"
_META_LOCK = 7234402902  # serialises CREATE SCHEMA/TABLE IF NOT EXISTS (not race-free)


def ensure_meta(conn: Connection) -> None:
    """Create ``parity_meta.parity_fixtures`` if needed (idempotent; no commit).

    Columns: ``name`` (the world, primary key), ``params`` (jsonb: what it was
    built from), ``summary`` (jsonb: what it holds), ``built_at``.
    """
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_META_LOCK,))
        cur.execute(
            sql.SQL(
                "CREATE SCHEMA IF NOT EXISTS {schema}; "
                "CREATE TABLE IF NOT EXISTS {table} ("
                " name text PRIMARY KEY,"
                " params jsonb NOT NULL,"
                " summary jsonb NOT NULL,"
                " built_at timestamptz NOT NULL DEFAULT now())"
            ).format(
                schema=sql.Identifier(META_SCHEMA),
                table=sql.Identifier(META_SCHEMA, META_TABLE),
            )
        )


def read_marker(conn: Connection, name: str) -> dict[str, Any] | None:
    """``{"params": ..., "summary": ..., "built_at": ...}`` of world ``name``, or None."""
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", (f"{META_SCHEMA}.{META_TABLE}",))
        if cur.fetchone()[0] is None:
            return None
        cur.execute(
            sql.SQL("SELECT params, summary, built_at FROM {} WHERE name = %s").format(
                sql.Identifier(META_SCHEMA, META_TABLE)
            ),
            (name,),
        )
        row = cur.fetchone()
    if row is None:
        return None
    return {"params": row[0], "summary": row[1], "built_at": row[2]}


def write_marker(conn: Connection, name: str, params: dict, summary: dict) -> None:
    """Insert or replace the marker of world ``name``.  No commit."""
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL(
                "INSERT INTO {} (name, params, summary, built_at) VALUES (%s, %s, %s, now()) "
                "ON CONFLICT (name) DO UPDATE SET params = EXCLUDED.params, "
                "summary = EXCLUDED.summary, built_at = EXCLUDED.built_at"
            ).format(sql.Identifier(META_SCHEMA, META_TABLE)),
            (name, json.dumps(params), json.dumps(summary)),
        )


def lock_world(conn: Connection, name: str) -> None:
    """Serialise two builds of the same world (until the transaction ends)."""
    with conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"parity_fixtures:{name}",))
