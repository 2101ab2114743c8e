"""Keep Numba's on-disk cache in step with this package's sources.

Numba's ``cache=True`` checks only the source file of the function it
compiled, not the files of the functions it calls: after an edit of
``volume_profile.py`` the cached ``series.py`` kernel would still run the old
code.  So the cache is keyed on all of the package's sources: when their
digest changes, the package's cached kernels are deleted before any is loaded.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["refresh"]


def refresh(package_dir: Path) -> None:
    """Delete ``package_dir/__pycache__/*.nbi|*.nbc`` if any ``*.py`` changed
    since they were written (best effort: a read-only install is left alone)."""
    digest = hashlib.sha256()
    for source in sorted(package_dir.glob("*.py")):
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    cache = package_dir / "__pycache__"
    stamp = cache / "numba-sources.sha256"
    try:
        if stamp.is_file() and stamp.read_text() == digest.hexdigest():
            return
        cache.mkdir(exist_ok=True)
        for stale in [*cache.glob("*.nbi"), *cache.glob("*.nbc")]:
            stale.unlink(missing_ok=True)
        stamp.write_text(digest.hexdigest())
    except OSError:
        pass
