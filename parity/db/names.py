"""Table and column names of a database, so the harness can read a live engine
whose tables are named differently from this project's schema.

A `TableNames` maps this project's column names (``ts``, ``symbol_id``,
``poc`` ...) to the stored ones; every name reaches SQL quoted as an identifier
(`psycopg2.sql.Identifier`), never pasted into the query text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from psycopg2 import sql

__all__ = ["DEFAULT_NAMES", "TableNames"]


@dataclass(frozen=True)
class TableNames:
    """Where a logical table lives: ``namespace.table``, and its columns.

    ``columns`` maps this project's column names to stored names; a name not
    in it is stored under the same name.
    """

    table: str
    namespace: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)

    def identifier(self) -> sql.Composable:
        """The (schema-qualified) table as a quoted identifier."""
        if self.namespace:
            return sql.Identifier(self.namespace, self.table)
        return sql.Identifier(self.table)

    def column(self, name: str) -> sql.Identifier:
        """The stored column holding this project's column ``name``, quoted."""
        return sql.Identifier(self.columns.get(name, name))

    def label(self) -> str:
        """``namespace.table`` for messages."""
        return f"{self.namespace}.{self.table}" if self.namespace else self.table


#: This project's own schema (parity/db/schema.sql).
DEFAULT_NAMES: dict[str, TableNames] = {
    name: TableNames(name)
    for name in ("symbols", "candles", "trades", "volume_profile", "order_flow", "market_state")
}
