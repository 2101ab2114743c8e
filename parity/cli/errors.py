"""Exit codes and the error type every command raises for bad input.

``parity`` exits 0 on success (and when a parity gate passes), 1 when a gate
fails, 2 on bad input, a bad configuration or an unreachable database.  Errors
are printed as one line on stderr, never as a traceback.
"""

from __future__ import annotations

__all__ = ["EXIT_BAD_INPUT", "EXIT_GATE_FAILED", "EXIT_OK", "ParityError"]

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_BAD_INPUT = 2


class ParityError(Exception):
    """A problem the user can fix: bad file, bad option, unreachable database.

    ``str(error)`` is the one-line message shown to the user.
    """

    exit_code = EXIT_BAD_INPUT
