"""Writing TOML by hand: values and comment text (``parity init``, ``parity calibrate``).

`toml_value` renders a bool, number or string as a TOML value (strings as JSON
basic strings, which TOML reads back: every control character is escaped).
`comment_text` makes any text safe inside a ``# ...`` comment: control, format
and line/paragraph-separator characters are written as their Python escape
(``\\n``, ``\\x1b``, ``\\u2028``), so a name can never end the comment and plant
live TOML on the next line.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

__all__ = ["comment_text", "toml_value"]


def toml_value(value: Any) -> str:
    """``value`` (bool, int, float or anything else as a string) as a TOML value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    return json.dumps(str(value))


def comment_text(text: object) -> str:
    """``str(text)`` with every control/format/separator character escaped (one line)."""
    return "".join(
        repr(ch)[1:-1] if unicodedata.category(ch)[0] == "C" or ch in "\u2028\u2029\x85" else ch
        for ch in str(text)
    )
