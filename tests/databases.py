"""Scratch databases on the test PostgreSQL server: one way to make and drop them.

Import as ``from databases import scratch_database`` (``tests/`` is on the
path, as for ``strategies``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg2
from psycopg2 import sql
from psycopg2.extensions import make_dsn, parse_dsn


def create_database(server_dsn: str, prefix: str = "t", template: str | None = None) -> str:
    """A new database on the server of ``server_dsn`` (empty, or a copy of the
    database ``template``); returns its DSN.  The caller drops it
    (`drop_database`) or leaves it to the session server's end."""
    params = parse_dsn(server_dsn)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(make_dsn(**{**params, "dbname": "postgres"}))
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template:
                statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            cur.execute(statement)
    finally:
        admin.close()
    return make_dsn(**{**params, "dbname": name})


def drop_database(dsn: str) -> None:
    """Drop the database of ``dsn``, ending its sessions first."""
    params = parse_dsn(dsn)
    admin = psycopg2.connect(make_dsn(**{**params, "dbname": "postgres"}))
    admin.autocommit = True
    try:
        with admin.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s",
                (params["dbname"],),
            )
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(params["dbname"]))
            )
    finally:
        admin.close()


@contextmanager
def scratch_database(server_dsn: str, prefix: str = "t") -> Iterator[str]:
    """A new empty database's DSN for the ``with`` block, dropped afterwards."""
    dsn = create_database(server_dsn, prefix)
    try:
        yield dsn
    finally:
        drop_database(dsn)
