"""The error type the library raises for input the user can fix.

``ParityError``: a bad file, option or configuration, an unknown symbol, an
unreachable database.  ``str(error)`` is the one-line message shown to the
user; the command line (`parity.cli`) maps it to an exit code.
"""

from __future__ import annotations

__all__ = ["ParityError"]


class ParityError(Exception):
    """A problem the user can fix: bad file, bad option, unreachable database.

    ``str(error)`` is the one-line message shown to the user.
    """
