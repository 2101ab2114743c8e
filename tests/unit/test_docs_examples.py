"""The Python examples of docs/parity.md run as written (in a scratch directory)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "parity.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


@pytest.mark.parametrize("code", BLOCKS)
def test_python_example_runs(code, tmp_path, monkeypatch):
    root = DOC.parents[1]
    monkeypatch.chdir(tmp_path)
    code = code.replace('"parity/demo.toml"', repr(str(root / "parity" / "demo.toml")))
    namespace: dict = {}
    exec(compile(code, str(DOC), "exec"), namespace)
    if "result" in namespace:
        assert (tmp_path / "sim-report" / "report.html").exists()
        assert namespace["result"].summary["compared_minutes"] > 0


def test_there_is_an_example():
    assert BLOCKS
