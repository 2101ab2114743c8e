"""The layering of the packages and a clean lint, checked on every run.

Imports flow one way: ``calculators`` imports nothing of the project;
``backtest`` imports only ``calculators``; the world builders of ``fixtures/``
(installed as ``parity_fixtures``) import ``calculators`` and the table
definitions `parity.db.tables`; ``parity`` sits on top.  Inside ``parity``:
the library (``db``, ``io``, ``common``, ``harness``, ``backtesting``,
``calibration``) never
imports the command line ``parity.cli`` nor the world builders; ``harness``
and ``backtesting`` never import each other (what both need is in
``parity.common``); only the command line prints.  Imports are read with `ast`.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Repository folder -> the import name it is installed as.
FOLDERS = {
    "calculators": "calculators",
    "backtest": "backtest",
    "fixtures": "parity_fixtures",
    "parity": "parity",
}
PROJECT = tuple(FOLDERS.values())
ALLOWED = {
    "calculators": {"calculators"},
    "backtest": {"calculators", "backtest"},
    "fixtures": {"calculators", "parity_fixtures", "parity.db.tables"},
    "parity": set(PROJECT),
}
#: Sub-packages of ``parity`` -> module prefixes they must not import.
LIBRARY = ("db", "io", "common", "harness", "backtesting", "execution", "calibration")
FORBIDDEN = {
    **{sub: {"parity.cli", "parity_fixtures", "parity.worlds"} for sub in LIBRARY},
    "common": {"parity.cli", "parity_fixtures", "parity.worlds", "parity.harness", "parity.backtesting"},
    "harness": {"parity.cli", "parity_fixtures", "parity.worlds", "parity.backtesting"},
    "backtesting": {"parity.cli", "parity_fixtures", "parity.worlds", "parity.harness"},
    "execution": {"parity.cli", "parity_fixtures", "parity.worlds", "parity.harness", "parity.backtesting"},
}


def imported_modules(path: Path) -> set[str]:
    """Every absolute module name ``path`` imports (``from a.b import c`` gives
    ``a.b`` and ``a.b.c``); relative imports count as ``.``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.add(".")
            elif node.module:
                found.add(node.module)
                found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def project_imports(path: Path) -> set[str]:
    """The project modules ``path`` imports, as the most specific allowed names."""
    return {m for m in imported_modules(path) if any(_within(m, p) for p in PROJECT) or m == "."}


def offences(path: Path, allowed: set[str]) -> list[str]:
    """Project modules imported by ``path`` outside ``allowed`` (prefixes)."""
    bad = set()
    for module in project_imports(path):
        if module == "." or not any(_within(module, a) for a in allowed):
            # ``from parity.db import tables`` names parity.db too: judge the most specific name.
            if any(_within(other, module) and other != module for other in project_imports(path)):
                continue
            bad.add(module)
    return sorted(bad)


@pytest.mark.parametrize("folder", FOLDERS)
def test_imports_flow_one_way(folder):
    found = {
        str(path.relative_to(ROOT)): offences(path, ALLOWED[folder])
        for path in (ROOT / folder).rglob("*.py")
    }
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.parametrize("sub", LIBRARY)
def test_parity_library_layers(sub):
    found = {
        str(path.relative_to(ROOT)): sorted(
            m
            for m in project_imports(path)
            if any(_within(m, f) for f in FORBIDDEN[sub])
        )
        for path in (ROOT / "parity" / sub).rglob("*.py")
    }
    assert {k: v for k, v in found.items() if v} == {}


def _print_calls(path: Path) -> int:
    return sum(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
    )


def test_only_the_command_line_prints():
    library = [
        path
        for folder in FOLDERS
        for path in (ROOT / folder).rglob("*.py")
        if not path.is_relative_to(ROOT / "parity" / "cli") and path.name != "__main__.py"
    ]
    assert {str(p.relative_to(ROOT)): n for p in library if (n := _print_calls(p))} == {}


def test_every_package_is_installed():
    """``pyproject.toml`` lists the packages by hand (for the ``parity_fixtures``
    mapping): every folder with an ``__init__.py`` must be in the list."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    listed = set(config["setuptools"]["packages"])
    assert config["setuptools"]["package-dir"] == {"parity_fixtures": "fixtures"}
    present = {
        ".".join((FOLDERS[init.relative_to(ROOT).parts[0]], *init.relative_to(ROOT).parts[1:-1]))
        for folder in FOLDERS
        for init in (ROOT / folder).rglob("__init__.py")
    }
    assert present == listed
    assert "fixtures" not in listed


def test_the_layering_test_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from parity.db import store\nimport calculators\nfrom parity.cli.errors import ParityError\n"
        "from . import x\nprint('hi')\n"
    )
    assert offences(bad, {"calculators"}) == [".", "parity.cli.errors.ParityError", "parity.db.store"]
    assert offences(bad, {"calculators", "parity"}) == ["."]
    assert _print_calls(bad) == 1
    ok = tmp_path / "ok.py"
    ok.write_text("from parity.db.tables import LIVE_COLUMNS\nprint\n")
    assert offences(ok, ALLOWED["fixtures"]) == []
    assert _print_calls(ok) == 0


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    done = subprocess.run([ruff, "check", "--quiet", str(ROOT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
