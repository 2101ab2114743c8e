"""Exit codes; the library's error type, re-exported for the commands.

``parity`` exits 0 on success (and when a parity gate passes), 1 when a gate
fails, 2 on bad input, a bad configuration or an unreachable database
(`parity.errors.ParityError`, `calculators.errors.InvalidInputError`), 3 on a
bug.  Errors are printed as one line on stderr, never as a traceback.
"""

from __future__ import annotations

from parity.errors import ParityError

__all__ = ["EXIT_BAD_INPUT", "EXIT_BUG", "EXIT_GATE_FAILED", "EXIT_OK", "ParityError"]

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_BUG = 3
