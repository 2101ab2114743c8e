"""The layering of the packages and a clean lint, checked on every run.

Imports flow one way: ``calculators`` imports nothing of the project;
``backtest`` and ``fixtures`` import only ``calculators``; ``parity`` sits on top.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ("calculators", "backtest", "fixtures", "parity")
ALLOWED = {
    "calculators": {"calculators"},
    "backtest": {"calculators", "backtest"},
    "fixtures": {"calculators", "fixtures"},
    "parity": set(PROJECT),
}


def project_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {n.split(".")[0] for n in names if n.split(".")[0] in PROJECT}
    return found


@pytest.mark.parametrize("package", PROJECT)
def test_imports_flow_one_way(package):
    offenders = {
        str(path.relative_to(ROOT)): sorted(project_imports(path) - ALLOWED[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_layering_test_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from parity.db import store\nimport calculators\n")
    assert project_imports(bad) == {"parity", "calculators"}


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    done = subprocess.run([ruff, "check", "--quiet", str(ROOT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
