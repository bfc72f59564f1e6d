"""Every failure of rscan and vminv is one line and an exit status, never a traceback, unless --traceback asks.

Real failing inputs where the system gives them (a full disk behind stdout, a
configuration file that is not UTF-8, a folder named as a file); an injected
bug for the "internal error" path, since a shipped one is not at hand.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import vminv.inventory
from vminv.cli import rscan as rscan_module
from vminv.cli.failure import TRACEBACK_ENV
from vminv.cli.rscan import cli as rscan_cli
from vminv.cli.vminv import cli as vminv_cli

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
REPLAY = FIXTURES / "replay"
BIN = Path(sys.executable).parent
SECRET = "hunter2"


def _one_error_line(stderr: str, prog: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith(f"{prog}: error:")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def _dev_full() -> str:
    if not stat.S_ISCHR(os.stat("/dev/full").st_mode):
        pytest.fail("/dev/full is not the full device on this machine")
    return "/dev/full"


@pytest.mark.parametrize("argv", [
    [str(BIN / "rscan"), "--replay", str(REPLAY), "--no-db", "--format", "json"],
    [str(BIN / "vminv"), "ls", "--format", "csv"],
])
def test_a_full_disk_behind_stdout_is_one_line_and_exit_1(argv, tmp_path):
    db = tmp_path / "inv.db"
    subprocess.run([str(BIN / "rscan"), "--replay", str(REPLAY), "-w", "--db", str(db)], capture_output=True, check=False)
    with open(_dev_full(), "w") as full:
        done = subprocess.run(argv, stdout=full, stderr=subprocess.PIPE, text=True, timeout=120,
                              env={**os.environ, "VMINV_DB": str(db)})
    line = _one_error_line(done.stderr, Path(argv[0]).name)
    assert done.returncode == 1
    assert line.endswith("standard output: No space left on device")


def test_a_configuration_file_that_is_not_utf8_is_one_line_without_its_bytes(tmp_path):
    config = tmp_path / "config.toml"
    config.write_bytes(b'[profile.lab]\npassword = "s\xe9cr\xe8t"\n')
    result = CliRunner().invoke(vminv_cli, ["config", "show", "--config", str(config)], prog_name="vminv")
    _one_error_line(result.stderr, "vminv")
    assert result.exit_code == 2
    assert "0xe9" not in result.stderr and "\\xe9" not in result.stderr


def _bug(*_args: object, **_kwargs: object) -> None:
    raise KeyError(SECRET)  # an exception whose message quotes what it should not


@pytest.fixture
def buggy(monkeypatch):
    monkeypatch.setattr(vminv.inventory, "list_guests", _bug)
    monkeypatch.setattr(rscan_module, "scan_replay", _bug)
    monkeypatch.delenv(TRACEBACK_ENV, raising=False)


@pytest.mark.parametrize(("cli", "prog", "args"), [
    (rscan_cli, "rscan", ["--replay", str(REPLAY), "--no-db"]),
    (vminv_cli, "vminv", ["ls", "--db", "{db}"]),
])
def test_an_unexpected_exception_is_one_line_naming_a_bug_and_the_way_to_report_it(buggy, tmp_path, cli, prog, args):
    args = [a.format(db=tmp_path / "inv.db") for a in args]
    (tmp_path / "inv.db").touch()
    result = CliRunner().invoke(cli, args, prog_name=prog)
    line = _one_error_line(result.stderr, prog)
    assert result.exit_code == 1
    assert "internal error (KeyError at test_cli_failures.py:" in line
    assert "--traceback" in line and TRACEBACK_ENV in line
    assert SECRET not in result.stderr + result.stdout


@pytest.mark.parametrize(("cli", "args"), [
    (rscan_cli, ["--traceback", "--replay", str(REPLAY), "--no-db"]),
    (vminv_cli, ["--traceback", "ls", "--db", "{db}"]),
    (vminv_cli, ["ls", "--traceback", "--db", "{db}"]),
])
def test_traceback_option_re_raises(buggy, tmp_path, cli, args):
    args = [a.format(db=tmp_path / "inv.db") for a in args]
    with pytest.raises(KeyError, match=SECRET):
        CliRunner().invoke(cli, args, catch_exceptions=False)


def test_traceback_environment_variable_re_raises_even_our_own_errors(buggy, tmp_path):
    with pytest.raises(KeyError):
        CliRunner().invoke(rscan_cli, ["--replay", str(REPLAY), "--no-db"], env={TRACEBACK_ENV: "1"},
                           catch_exceptions=False)
    from vminv.errors import ReplayError

    with pytest.raises(ReplayError):
        CliRunner().invoke(rscan_cli, ["--replay", str(tmp_path / "missing"), "--no-db"],
                           env={TRACEBACK_ENV: "1"}, catch_exceptions=False)
    # "0" or empty: off.
    result = CliRunner().invoke(rscan_cli, ["--replay", str(tmp_path / "missing"), "--no-db"], env={TRACEBACK_ENV: "0"})
    assert result.exit_code == 2 and result.exception is not None and isinstance(result.exception, SystemExit)


def test_an_os_error_on_a_path_the_user_named_is_a_usage_error(monkeypatch, tmp_path):
    # The mapping itself, for any command: the file named by an option -> 2; anything else -> 1.
    target = tmp_path / "out" / "x.csv"

    def write_into_missing_folder(*_args: object, **_kwargs: object) -> None:
        target.write_text("x")  # FileNotFoundError naming target

    monkeypatch.setattr(rscan_module, "scan_replay", write_into_missing_folder)
    result = CliRunner().invoke(rscan_cli, ["--replay", str(REPLAY), "--no-db", "--save", str(tmp_path / "out")],
                                prog_name="rscan")
    line = _one_error_line(result.stderr, "rscan")
    assert result.exit_code == 2
    assert line == f"rscan: error: {target}: No such file or directory"

    def read_elsewhere(*_args: object, **_kwargs: object) -> None:
        Path("/nonexistent-vminv-test/file").read_text()

    monkeypatch.setattr(rscan_module, "scan_replay", read_elsewhere)
    result = CliRunner().invoke(rscan_cli, ["--replay", str(REPLAY), "--no-db"], prog_name="rscan")
    assert result.exit_code == 1
    assert _one_error_line(result.stderr, "rscan") == "rscan: error: /nonexistent-vminv-test/file: No such file or directory"


def test_a_unicode_error_never_shows_the_bytes(monkeypatch):
    def decode_password(*_args: object, **_kwargs: object) -> None:
        f"{SECRET}\xe9".encode("latin-1").decode("utf-8")

    monkeypatch.setattr(rscan_module, "scan_replay", decode_password)
    result = CliRunner().invoke(rscan_cli, ["--replay", str(REPLAY), "--no-db"], prog_name="rscan")
    line = _one_error_line(result.stderr, "rscan")
    assert result.exit_code == 2
    assert "not valid utf-8 text" in line
    assert "0xe9" not in line and SECRET not in line
