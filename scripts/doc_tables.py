"""What the table scripts share: where the real data is, and rewriting a
generated section of a document between two marker lines."""

from __future__ import annotations

import argparse
from pathlib import Path

from parity.datadir import resolve_data_dir

__all__ = ["add_table_options", "data_dir", "write_section"]


def data_dir(explicit: str | None = None) -> Path:
    """``explicit``, else ``$PARITY_DATA_DIR``, else ``../shared/data``
    (`parity.datadir.resolve_data_dir`); exits when it holds no data."""
    path = resolve_data_dir(explicit)
    if not (path / "SOURCES.md").is_file():
        raise SystemExit(f"real market data not found in {path} (set PARITY_DATA_DIR)")
    return path


def write_section(doc: Path, start: str, end: str, body: str) -> None:
    """Replace the text between the marker lines ``start`` and ``end`` of ``doc``."""
    text = doc.read_text(encoding="utf-8")
    i, j = text.find(start), text.find(end)
    if i < 0 or j < 0 or j < i:
        raise SystemExit(f"{doc}: markers {start} ... {end} not found")
    doc.write_text(text[: i + len(start)] + "\n" + body + text[j:], encoding="utf-8")


def add_table_options(parser: argparse.ArgumentParser, default_doc: Path) -> None:
    """``--data-dir``, ``--write`` and ``--doc``: where the data is, and the
    document whose generated section ``--write`` rewrites."""
    parser.add_argument(
        "--data-dir", help="the real-data directory (default: $PARITY_DATA_DIR or ../shared/data)"
    )
    parser.add_argument("--write", action="store_true", help="rewrite the table section of --doc")
    parser.add_argument(
        "--doc", type=Path, default=default_doc, help="the document --write rewrites"
    )
