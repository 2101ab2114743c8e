"""Connections: which DSN to use, connecting with one-line errors, read-only blocks.

Passwords never appear in a message or a log: every DSN shown to the user goes
through `redact_dsn`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote

import psycopg2
import psycopg2.extensions
from psycopg2.extensions import parse_dsn

from parity.errors import ParityError

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "connect",
    "database_error",
    "describe_dsn",
    "read_only",
    "redact_dsn",
    "resolve_dsn",
]

#: Seconds to wait for a server before giving up, unless the DSN or
#: ``$PGCONNECT_TIMEOUT`` says otherwise.
DEFAULT_CONNECT_TIMEOUT = 10

_log = logging.getLogger(__name__)
_URI = re.compile(r"^(?P<scheme>postgres(?:ql)?://)(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
# key=value pairs of a libpq connection string; values may be single-quoted with \-escapes.
_KV_PASSWORD = re.compile(
    r"(?:^|(?<=\s))(?:ssl)?password\s*=\s*(?:'(?:[^'\\]|\\.)*'?|\S*)\s*", re.IGNORECASE
)
#: Connection parameters that carry a secret (libpq: the password, and the
#: password of the client's SSL key).
_SECRET_KEYS = frozenset({"password", "sslpassword"})


def redact_dsn(dsn: str) -> str:
    """``dsn`` with every secret (``password``, ``sslpassword``) removed, in URI
    or ``key=value`` form; URI query keys count however they are
    percent-encoded (``pass%77ord``), as libpq reads them.

    ``postgresql://bob:secret@db/x?password=y&sslmode=require`` becomes
    ``postgresql://bob@db/x?sslmode=require``; ``host=db password='s e' dbname=x``
    becomes ``host=db dbname=x``.  Works on malformed strings too (it is a text
    transformation, not a parse), so it is safe to use in error messages.
    """
    text = dsn or ""
    match = _URI.match(text.strip())
    if not match:
        return _KV_PASSWORD.sub("", text).strip()
    rest = match["rest"]
    authority, sep_path, tail = _split_authority(rest)
    if "@" in authority:
        userinfo, _, hosts = authority.rpartition("@")
        user = userinfo.split(":", 1)[0]
        authority = f"{user}@{hosts}" if user else hosts
    if "?" in tail:
        path, _, query = tail.partition("?")
        query, hash_, fragment = query.partition("#")
        query = "&".join(
            pair
            for pair in query.split("&")
            if unquote(pair.partition("=")[0]).strip().lower() not in _SECRET_KEYS
        )
        tail = path + (f"?{query}" if query else "") + hash_ + fragment
    return match["scheme"] + authority + sep_path + tail


def _split_authority(rest: str) -> tuple[str, str, str]:
    """Split ``user:pw@hosts/db?q`` into (authority, "/" or "?" or "", remainder)."""
    # The authority ends at the first "/" or "?" after the last "@" before the
    # query (so a raw "@" or "/" in an unencoded password stays in it).
    query = rest.find("?")
    at = rest.rfind("@", 0, query if query >= 0 else len(rest))
    start = at + 1 if at >= 0 else 0
    ends = [i for i in (rest.find("/", start), rest.find("?", start)) if i >= 0]
    if not ends:
        return rest, "", ""
    end = min(ends)
    if rest[end] == "/":
        return rest[:end], "/", rest[end + 1 :]
    return rest[:end], "", rest[end:]


def resolve_dsn(dsn: str | None, environment: bool = True) -> str:
    """The DSN to use: ``dsn`` if given, else ``$PARITY_DSN`` (unless
    ``environment`` is False), else the embedded server's (started if needed,
    see `parity.db.embedded`; a note on stderr says where its data lives)."""
    if dsn:
        return dsn
    env = os.environ.get("PARITY_DSN") if environment else None
    if env:
        return env
    from parity.db import embedded

    server = embedded.start()
    how = "running" if server.already_running else f"started in {server.start_seconds:.1f} s"
    _log.info("embedded PostgreSQL (%s), data in %s", how, server.data_dir)
    return server.dsn


def describe_dsn(dsn: str) -> str:
    """Where ``dsn`` points, as ``host=... port=... dbname=... user=...`` (no password;
    "a malformed DSN" when libpq cannot parse it)."""
    try:
        params = parse_dsn(dsn)
    except psycopg2.Error:
        return "a malformed DSN"
    keys = ("host", "hostaddr", "port", "dbname", "user")
    shown = " ".join(f"{k}={params[k]}" for k in keys if params.get(k))
    return shown or "the default server (libpq defaults / PG* variables)"


def connect(dsn: str) -> psycopg2.extensions.connection:
    """An open psycopg2 connection to ``dsn`` (autocommit off: callers commit).

    Raises `ParityError` with one line naming the host and database, never the
    password, when the DSN is invalid or the server is unreachable.  Sets
    ``connect_timeout`` (`DEFAULT_CONNECT_TIMEOUT` seconds) and
    ``application_name`` unless the DSN or the environment sets them.
    """
    try:
        params = parse_dsn(dsn)
    except psycopg2.Error as exc:
        # libpq quotes pieces of a malformed string, which may hold a password:
        # show neither the string nor those pieces.
        reason = re.sub(
            r'"([^"]*)"',
            lambda m: m[0] if len(m[1]) <= 1 else '"..."',
            " ".join(str(exc).split()),
        )
        raise ParityError(
            f"cannot connect to PostgreSQL: malformed DSN (not shown, it may hold a password): {reason}"
        ) from None
    extra: dict[str, object] = {}
    if "connect_timeout" not in params and "PGCONNECT_TIMEOUT" not in os.environ:
        extra["connect_timeout"] = DEFAULT_CONNECT_TIMEOUT
    if "application_name" not in params and "PGAPPNAME" not in os.environ:
        extra["application_name"] = "backtest-parity"
    try:
        return psycopg2.connect(dsn, **extra)
    except psycopg2.Error as exc:
        reason = _scrub(" ".join(str(exc).split()), dsn) or type(exc).__name__
        raise ParityError(f"cannot connect to PostgreSQL ({describe_dsn(dsn)}): {reason}") from None


def database_error(exc: BaseException, dsn: str, doing: str) -> ParityError:
    """A one-line `ParityError` for a psycopg2 error raised while ``doing`` something
    on ``dsn`` (e.g. "loading x.csv"), naming the server, never the password."""
    reason = _scrub(" ".join(str(exc).split()), dsn) or type(exc).__name__
    return ParityError(f"database error while {doing} ({describe_dsn(dsn)}): {reason}")


def _scrub(message: str, dsn: str) -> str:
    """``message`` with the password of ``dsn`` (if any) replaced by ``***``."""
    secrets: set[str] = set()
    try:
        password = parse_dsn(dsn).get("password")
        if password:
            secrets.add(password)
    except psycopg2.Error:
        pass
    for found in re.finditer(r"password\s*=\s*('(?:[^'\\]|\\.)*'?|[^\s&#]+)", dsn, re.IGNORECASE):
        secrets.add(found.group(1).strip("'"))
    match = _URI.match(dsn.strip())
    if match:
        authority = _split_authority(match["rest"])[0]
        if "@" in authority and ":" in authority.rpartition("@")[0]:
            raw = authority.rpartition("@")[0].split(":", 1)[1]
            secrets.update({raw, unquote(raw)})
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        message = message.replace(secret, "***")
    return message


@contextmanager
def read_only(
    conn: psycopg2.extensions.connection, *, snapshot: bool = True
) -> Iterator[psycopg2.extensions.connection]:
    """Run the ``with`` block in a read-only transaction on ``conn``; yields ``conn``.

    The transaction is ``READ ONLY`` (a write raises) and, with ``snapshot``
    (default), ``REPEATABLE READ`` so every read in the block sees one snapshot
    of the live tables.  It is rolled back at the end (nothing to keep).  The
    connection must not be inside a transaction already.
    """
    status = conn.info.transaction_status
    if status != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
        raise RuntimeError("read_only() needs a connection with no transaction in progress")
    mode = "ISOLATION LEVEL REPEATABLE READ, READ ONLY" if snapshot else "READ ONLY"
    with conn.cursor() as cur:
        cur.execute(f"BEGIN TRANSACTION {mode}" if conn.autocommit else f"SET TRANSACTION {mode}")
    try:
        yield conn
    finally:
        if conn.closed:  # the connection was lost: nothing to roll back, keep the error
            pass
        elif conn.autocommit:
            if conn.info.transaction_status != psycopg2.extensions.TRANSACTION_STATUS_IDLE:
                with conn.cursor() as cur:
                    cur.execute("ROLLBACK")
        else:
            conn.rollback()
