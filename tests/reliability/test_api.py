"""The Python API refuses bad input with `InvalidInputError`, and the command
line's own contract: ``--version``, exit 3 for a bug (issue 8, parts 3 and 7).

The extreme-number property test runs the kernels in a child process: a
crash there (a segmentation fault, an LLVM abort) fails this test instead of
killing pytest.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from reliability_helpers import assert_one_line, cli

from calculators import (
    BacktestVolumeProfileCalculator,
    InvalidInputError,
    Params,
    compute,
    compute_from_trades,
)

HERE = Path(__file__).resolve().parent


def candles(n: int = 90, **overrides: float) -> pd.DataFrame:
    index = pd.date_range("2025-01-01", periods=n, freq="1min", tz="UTC")
    frame = pd.DataFrame(
        {"open": 100.0, "high": 101.0, "low": 99.0, "close": 100.0, "volume": 1.0}, index=index
    )
    for column, value in overrides.items():
        frame.iloc[n // 2, frame.columns.get_loc(column)] = value
    return frame


def _empty_tape() -> pd.DataFrame:
    return pd.DataFrame({"ts": pd.to_datetime([], utc=True), "price": [], "amount": [], "side": []})


#: name -> (callable, words of the message)
API_CASES = {
    "from-dict-list": (lambda: Params.from_dict([1, 2]), "mapping"),
    "from-dict-string": (lambda: Params.from_dict("lookback_period=30"), "mapping"),
    "compute-params-list": (lambda: compute(candles(), [1, 2]), "mapping"),
    "compute-params-unknown-key": (lambda: compute(candles(), {"lookback": 3}), "lookback"),
    "compute-from-trades-empty": (lambda: compute_from_trades(_empty_tape()), "no rows"),
    "compute-from-trades-not-a-frame": (lambda: compute_from_trades([1, 2]), "DataFrame"),
    "holding-1e18": (lambda: Params(max_holding_minutes=10**18), "max_holding_minutes"),
    "holding-1e18-text": (
        lambda: Params.from_dict({"max_holding_minutes": "1e18"}), "max_holding_minutes",
    ),
    "lookback-huge": (lambda: Params(lookback_period=2**70), "lookback_period"),
    "high-1e19": (lambda: compute(candles(high=1e19)), "row 45"),
    "high-1e300": (lambda: compute(candles(high=1e300)), "row 45"),
    "tiny-row-size": (lambda: compute(candles(), {"row_size": 1e-300}), "row_size"),
    "subnormal-prices": (
        lambda: compute(candles(1, open=5e-324, high=5e-324, low=5e-324, close=5e-324)),
        "too small",
    ),
    "volume-overflow": (
        lambda: compute(candles().assign(volume=1.7e308)), "is above 1e+300",
    ),
    "per-timestamp-high-1e19": (
        lambda: BacktestVolumeProfileCalculator().calculate_profile(candles(high=1e19)), "row 45",
    ),
    "too-early-for-the-window": (
        lambda: compute(candles().set_axis(
            pd.date_range("1677-09-22", periods=90, freq="1min", tz="UTC"))),
        "too early",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(API_CASES))
def test_the_api_raises_invalid_input(case):
    call, word = API_CASES[case]
    with pytest.raises(InvalidInputError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message and word.lower() in message.lower(), message


def test_compute_accepts_a_mapping_of_params():
    """A plain dict is the same as the Params it describes."""
    frame = candles()
    by_dict = compute(frame, {"lookback_period": 30})
    by_params = compute(frame, Params(lookback_period=30))
    pd.testing.assert_frame_equal(by_dict, by_params)


def test_extreme_floats_never_crash_the_kernels():
    """Hypothesis over 1e-300..1e300, subnormals and huge ranges, in a child
    process (see extreme_properties.py): a result or InvalidInputError."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-x",
         str(HERE / "extreme_properties.py")],
        capture_output=True, text=True, cwd=HERE.parents[1], timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, (done.returncode, done.stdout[-3000:], done.stderr[-3000:])
    assert " passed" in done.stdout


def test_version(capsys):
    code, out, err = cli(["--version"], capsys)
    assert code == 0 and out.startswith("parity ") and err == []


@pytest.mark.parametrize("debug", ["none", "flag", "flag-after-command", "env"])
def test_an_unexpected_exception_is_a_bug_exit_3(debug, sandbox, capsys, monkeypatch):
    """A bug (here: a command that raises ZeroDivisionError) exits 3 with one line
    saying so; the traceback only with --debug or PARITY_DEBUG=1."""
    from parity.cli.commands import gate

    def broken(args):
        return 1 / 0

    monkeypatch.setattr(gate, "run", broken)
    argv = ["gate", "parity.json"]
    if debug == "flag":
        argv = ["--debug", *argv]
    elif debug == "flag-after-command":
        argv = [*argv, "--debug"]
    elif debug == "env":
        monkeypatch.setenv("PARITY_DEBUG", "1")
    code, _, err = cli(argv, capsys)
    assert code == 3
    if debug == "none":
        assert_one_line(err, "bug", "ZeroDivisionError", "--debug")
    else:
        assert err[0].startswith("Traceback") and "ZeroDivisionError" in "\n".join(err)
        assert "bug" in err[-1]


def test_a_crash_in_a_real_process_is_exit_3_one_line(tmp_path):
    """The console entry point, not only main(): a bug injected into the gate
    command of a real process exits 3 with one line on stderr."""
    code = (
        "import parity.cli.commands.gate as g\n"
        "g.run = lambda args: [][1]\n"
        "from parity.cli import main\n"
        "raise SystemExit(main(['gate', 'x.json']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 3
    assert_one_line(done.stderr.strip().splitlines(), "bug", "IndexError")


def test_no_numpy_repr_reaches_a_message(capsys, monkeypatch):
    """A message built from numpy scalars shows plain numbers."""
    from parity.cli.commands import gate
    from parity.errors import ParityError

    def refuse(args):
        raise ParityError(f"value {np.float64(np.nan)!r} and {np.int64(3)!r} are bad")

    monkeypatch.setattr(gate, "run", refuse)
    code, _, err = cli(["gate", "x.json"], capsys)
    assert code == 2
    assert_one_line(err, "value nan and 3 are bad")
