"""PostgreSQL access: the embedded server, connections, the schema, bulk reads and writes.

- `parity.db.embedded`: the default server (``pgserver``), started on demand and reused.
- `parity.db.connect`: DSN resolution, connecting, password redaction, read-only blocks.
- `parity.db.schema`: applying ``parity/db/schema.sql`` and the ``symbols`` table.
- `parity.db.store`: ``COPY``-based writes and reads of candles, trades and live rows.
- `parity.db.tables`: the schema file and the live tables' columns (``LIVE_COLUMNS``).
- `parity.db.live`: counting and deleting a symbol's live rows by bar window.
- `parity.db.meta`: the markers of the ready-made worlds (``parity_meta``).

Every function takes an open psycopg2 connection and never commits: callers own
the transaction.
"""
