"""Outputs never destroy what the tool did not create (issue 8, part 1).

Every command writing a folder refuses, with exit 2, one line and nothing
touched: an empty ``--out``, the current directory, an ancestor of it or of
``$HOME``, an existing regular file, a non-empty folder without the tool's
marker.  A marked folder (or a report folder of an earlier version) is
replaced; two runs into one folder take turns (the lock).
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from reliability_helpers import assert_refused, cli, tree

from parity.cli import main
from parity.errors import ParityError
from parity.io.atomic import atomic_directory, atomic_file
from parity.io.outdir import MARKER, check_out_dir, check_out_file

PERIOD = ["--symbol", "DEMO-USD", "--start", "2025-01-02T00:00Z", "--end", "2025-01-02T06:00Z"]
#: Every command that writes a folder, with the options it needs besides --out.
COMMANDS = {
    "run": ["run", "--dsn", "postgresql://x@127.0.0.1:1/x"],
    "demo": ["demo", "--dsn", "postgresql://x@127.0.0.1:1/x"],
    "backtest": ["backtest", *PERIOD, "--dsn", "postgresql://x@127.0.0.1:1/x"],
    "sweep": ["sweep", *PERIOD, "--dsn", "postgresql://x@127.0.0.1:1/x"],
}


def _targets(sandbox: Path) -> dict[str, tuple[str, str]]:
    """Refused --out values: name -> (value, a word the message must contain)."""
    (sandbox / "a-file.txt").write_text("not a folder\n")
    users = sandbox / "users-folder"
    users.mkdir()
    (users / "thesis.tex").write_text("precious\n")
    home = sandbox / "home"
    (home / "work").mkdir(parents=True)
    return {
        "empty": ("", "empty"),
        "blank": ("  ", "empty"),
        "dot": (".", "current directory"),
        "dot-slash": ("./", "current directory"),
        "parent": ("..", "ancestor"),
        "root": ("/", "ancestor"),
        "home": (str(home / "work"), "home directory"),
        "home-parent": (str(home), "ancestor of your home"),
        "regular-file": ("a-file.txt", "not a folder"),
        "unmarked-folder": ("users-folder", "not written by parity"),
    }


TARGET_NAMES = [
    "empty", "blank", "dot", "dot-slash", "parent", "root",
    "home", "home-parent", "regular-file", "unmarked-folder",
]  # fmt: skip


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("target", TARGET_NAMES)
def test_refused_out(command, target, sandbox, capsys, monkeypatch):
    value, word = _targets(sandbox)[target]
    monkeypatch.setenv("HOME", str(sandbox / "home" / "work"))
    before = tree(sandbox)
    code, out, err = cli([*COMMANDS[command], "--out", value], capsys)
    assert_refused(code, err, word, "--out", sandbox=sandbox, before_tree=before)
    assert out == ""


@pytest.mark.parametrize(
    ("value", "word"), [("", "empty"), (" ", "empty"), ("beside.txt", "not a folder")]
)
def test_simulate_refuses_an_empty_or_file_out(value, word, sandbox, capsys):
    """``simulate --out`` writes files into a folder: '' (the current directory
    by accident) and a regular file are refused."""
    before = tree(sandbox)
    code, _, err = cli(["simulate", "--symbol", "SIM", "--days", "1", "--out", value], capsys)
    assert_refused(code, err, word, "--out", sandbox=sandbox, before_tree=before)


@pytest.mark.parametrize(
    ("value", "word"),
    [("", "empty"), ("out", "folder"), ("new/", "folder"), (".", "folder"),
     ("beside.txt", "not written by parity")],
)  # fmt: skip
def test_calibrate_refuses_an_empty_folder_or_foreign_out(value, word, sandbox, capsys):
    """``calibrate --out FILE`` writes one file: '', a folder and an existing
    file it did not write are refused at parse time, before any work."""
    before = tree(sandbox)
    argv = ["calibrate", "--symbol", "X", "--dsn", "postgresql://x@127.0.0.1:1/x", "--out", value]
    code, _, err = cli(argv, capsys)
    assert_refused(code, err, word, "--out", sandbox=sandbox, before_tree=before)


def test_a_file_parity_wrote_may_be_replaced(sandbox):
    """An existing file whose first line is the tool's signature passes the check."""
    (sandbox / "calibrated.toml").write_text("# parity calibrate: X\n[params]\n")
    assert check_out_file("calibrated.toml") == Path("calibrated.toml")


def test_the_library_refuses_too(sandbox):
    """`atomic_directory` itself checks: a library caller cannot bypass the rules."""
    before = tree(sandbox)
    for value in ("", ".", str(sandbox.parent), "beside.txt"):
        with pytest.raises(ParityError), atomic_directory(value) as staging:
            (staging / "x").write_text("never")
    assert tree(sandbox) == before


def test_a_marked_folder_is_replaced_and_marked_again(sandbox):
    with atomic_directory("out") as staging:
        (staging / "parity.json").write_text("{}")
    names = sorted(p.name for p in (sandbox / "out").iterdir())
    assert names == sorted([MARKER, "parity.json"])
    assert (sandbox / "beside.txt").is_file()


def test_a_report_folder_of_an_earlier_version_is_replaced(sandbox):
    old = sandbox / "old-report"
    old.mkdir()
    (old / "parity.json").write_text('{"tool": "backtest-parity", "symbols": {}}')
    for name in ("report.html", "junit.xml"):
        (old / name).write_text("old")
    assert check_out_dir("old-report") == old.resolve()
    (old / "notes.txt").write_text("the user's")
    with pytest.raises(ParityError, match="not written by parity"):
        check_out_dir("old-report")


def test_a_stray_previous_folder_that_is_not_ours_is_left_alone(sandbox):
    stray = sandbox / "out.previous-notes"
    stray.mkdir()
    (stray / "mine.txt").write_text("the user's")
    with atomic_directory("out") as staging:
        (staging / "a").write_text("a")
    assert (stray / "mine.txt").read_text() == "the user's"


def test_two_runs_into_one_folder_take_turns(sandbox):
    """The second writer waits for the first (the lock), then replaces its folder;
    neither fails on the other's staging folder."""
    events: list[str] = []
    errors: list[BaseException] = []

    def write(name: str, hold: float) -> None:
        try:
            with atomic_directory("shared") as staging:
                events.append(f"{name} in")
                (staging / "who").write_text(name)
                time.sleep(hold)
                events.append(f"{name} out")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    first = threading.Thread(target=write, args=("first", 0.6))
    first.start()
    time.sleep(0.2)
    second = threading.Thread(target=write, args=("second", 0.0))
    second.start()
    first.join()
    second.join()
    assert errors == []
    assert events == ["first in", "first out", "second in", "second out"]
    assert (sandbox / "shared" / "who").read_text() == "second"
    assert not [p for p in os.listdir(sandbox) if "staging" in p or "previous" in p]


# --- review fixes: the swap folder, legacy folders, file signature, odd --out, modes ---


def _marked_folder(path: Path, text: str) -> Path:
    """A folder as parity writes it (the marker) holding ``report.txt`` = ``text``."""
    path.mkdir()
    (path / MARKER).write_text("written by backtest-parity\n")
    (path / "report.txt").write_text(text)
    return path


@pytest.mark.parametrize("out_exists", [True, False])
def test_a_users_previous_named_folder_is_never_touched(sandbox, out_exists):
    """A report the user kept as ``out.previous-jan`` (marked: parity wrote it)
    is neither deleted nor moved into ``out``, whether ``out`` exists or not."""
    kept = _marked_folder(sandbox / "out.previous-jan", "january")
    if not out_exists:
        import shutil

        shutil.rmtree(sandbox / "out")
    with atomic_directory("out") as staging:
        (staging / "report.txt").write_text("new")
    assert (kept / "report.txt").read_text() == "january"
    assert (sandbox / "out" / "report.txt").read_text() == "new"


def test_the_out_name_is_not_a_glob_pattern(sandbox):
    """``--out 'q[0-9]*'`` touches no folder whose name the pattern would match."""
    mine = _marked_folder(sandbox / "q2024.previous-mine", "mine")
    hidden = _marked_folder(sandbox / ".q2024.swap-1-0123456789abcdef", "hidden")
    before = tree(sandbox)
    with atomic_directory("q[0-9]*") as staging:
        (staging / "report.txt").write_text("new")
    assert (mine / "report.txt").read_text() == "mine"
    assert (hidden / "report.txt").read_text() == "hidden"
    after = tree(sandbox)
    assert {k: v for k, v in after.items() if k in before} == before


def test_a_run_killed_between_the_two_renames_leaves_the_report_restorable(sandbox, monkeypatch):
    """The swap is two renames: killed after the first (target aside), the
    previous report sits in a hidden swap folder and the next run restores it."""
    with atomic_directory("out") as staging:
        (staging / "report.txt").write_text("first")
    real_rename = Path.rename

    def die_on_the_second_rename(self, target):
        if Path(target).name == "out":
            raise KeyboardInterrupt  # killed between the two renames
        return real_rename(self, target)

    with monkeypatch.context() as patch:
        patch.setattr(Path, "rename", die_on_the_second_rename)
        with pytest.raises(KeyboardInterrupt), atomic_directory("out") as staging:
            (staging / "report.txt").write_text("second")
    assert not (sandbox / "out").exists()
    aside = [p.name for p in sandbox.iterdir() if p.name.startswith(".out.swap-")]
    assert len(aside) == 1
    # the next run brings the previous report back before it writes
    with pytest.raises(RuntimeError), atomic_directory("out"):
        raise RuntimeError("this run fails too")
    assert (sandbox / "out" / "report.txt").read_text() == "first"
    assert not [p for p in os.listdir(sandbox) if ".swap-" in p or "staging" in p]


@pytest.mark.parametrize(
    "files",
    [
        {"result.json": "{}", "trades.csv": "a,b\n", "equity.csv": "t,e\n"},
        {"result.json": '{"params": {}}'},  # params alone is not the tool's document
        {"parity.json": '{"tool": "other-tool"}', "report.md": "# hi\n"},
        {"parity.json": "not json"},
        {"sweep.csv": "a,b\n", "sweep.md": "| a |\n"},  # generic names prove nothing
    ],
)
def test_another_tools_folder_with_generic_names_is_refused(sandbox, files):
    """The old-version rule needs proof in the contents, not just familiar names."""
    other = sandbox / "other"
    other.mkdir()
    for name, text in files.items():
        (other / name).write_text(text)
    before = tree(sandbox)
    with pytest.raises(ParityError, match="not written by parity"):
        check_out_dir("other")
    assert tree(sandbox) == before


@pytest.mark.parametrize(
    "files",
    [
        {"parity.json": '{"tool": "backtest-parity", "symbols": {}}', "report.md": "# r\n"},
        {"result.json": '{"params_digest": "ab12", "params": {}}', "trades.csv": "a\n"},
    ],
)
def test_an_old_report_proven_by_its_contents_is_replaced(sandbox, files):
    old = sandbox / "old"
    old.mkdir()
    for name, text in files.items():
        (old / name).write_text(text)
    assert check_out_dir("old") == old.resolve()


def test_a_hand_written_file_starting_with_parity_is_not_replaced(sandbox, capsys):
    """Only the exact first line `calibrate` writes marks a file as the tool's."""
    (sandbox / "parity.toml").write_text("# parity thresholds for prod\n[gate]\n")
    before = tree(sandbox)
    argv = ["calibrate", "--symbol", "X", "--dsn", "postgresql://x@127.0.0.1:1/x"]
    code, _, err = cli([*argv, "--out", "parity.toml"], capsys)
    assert_refused(code, err, "not written by parity", sandbox=sandbox, before_tree=before)


def test_the_file_signature_is_what_calibrate_writes():
    """One constant: the first line `params_toml` writes starts with it."""
    import pandas as pd

    from parity.calibration import output
    from parity.io.outdir import FILE_SIGNATURE

    assert output.FILE_SIGNATURE is FILE_SIGNATURE
    t = pd.Timestamp("2025-01-01", tz="UTC")

    class Figure:
        objective = 0.5

    class Calibrated:
        @staticmethod
        def to_dict():
            return {"lookback_period": 5}

    result = SimpleNamespace(
        symbol="X",
        fit=(t, t),
        holdout=(t, t),
        figures={"holdout": {"baseline": Figure, "calibrated": Figure}},
        changed={},
        calibrated=Calibrated,
    )
    assert output.params_toml(result).startswith(FILE_SIGNATURE)


def test_a_symlink_loop_out_is_bad_input(sandbox, capsys, tmp_path_factory):
    loop = tmp_path_factory.mktemp("links") / "loop"
    loop.symlink_to(loop)
    before = tree(sandbox)
    code, _, err = cli([*COMMANDS["run"], "--out", str(loop)], capsys)
    assert_refused(code, err, "loop", "--out", sandbox=sandbox, before_tree=before)


def test_a_fifo_out_file_is_refused_without_blocking(sandbox, capsys):
    """``calibrate --out FIFO`` must not open the FIFO (it would wait for a writer)."""
    os.mkfifo(sandbox / "pipe")
    result: list[int] = []
    argv = ["calibrate", "--symbol", "X", "--dsn", "postgresql://x@127.0.0.1:1/x"]
    worker = threading.Thread(target=lambda: result.append(main([*argv, "--out", "pipe"])))
    worker.daemon = True
    worker.start()
    worker.join(timeout=20)
    if worker.is_alive():  # unblock the hung open, then fail
        with open(sandbox / "pipe", "w"):
            pass
        worker.join(timeout=5)
        pytest.fail("check_out_file opened the FIFO")
    assert result == [2]


@pytest.mark.parametrize(("umask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_the_umask_mode(sandbox, umask, expected):
    old = os.umask(umask)
    try:
        with atomic_file(sandbox / "new.toml") as handle:
            handle.write("x\n")
    finally:
        os.umask(old)
    assert (sandbox / "new.toml").stat().st_mode & 0o777 == expected


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o600])
def test_a_replaced_file_keeps_its_mode(sandbox, mode):
    target = sandbox / "kept.toml"
    target.write_text("old\n")
    target.chmod(mode)
    old = os.umask(0o077)
    try:
        with atomic_file(target) as handle:
            handle.write("new\n")
    finally:
        os.umask(old)
    assert target.read_text() == "new\n"
    assert target.stat().st_mode & 0o777 == mode


@pytest.mark.parametrize("summary", ["missing-folder/summary.md", "a-folder"])
def test_an_unwritable_step_summary_keeps_the_gate_verdict(
    world, sandbox, capsys, monkeypatch, summary
):
    """``$GITHUB_STEP_SUMMARY`` that cannot be written: a note on stderr, and the
    exit code is still the verdict's (a failed gate: 1, not 2)."""
    (sandbox / "a-folder").mkdir()
    (sandbox / "gate.toml").write_text(
        "[gate.state]\nmin_match_rate = 1.0\n[gate.poc]\nmin_match_rate = 1.0\n"
    )
    argv = ["run", "--dsn", world, "--config", "gate.toml", "--out", "out"]
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(sandbox / summary))
    code, _, err = cli(argv, capsys)
    assert code == 1, err
    notes = [line for line in err if "GITHUB_STEP_SUMMARY" in line]
    assert len(notes) == 1 and not any("Traceback" in line for line in err), err
    assert json.loads((sandbox / "out" / "parity.json").read_text())["verdict"] == "fail"
