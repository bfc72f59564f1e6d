"""Every configuration-file failure is one line naming the file, what is wrong with it and what to do.

Through the commands that read it (``vminv config show`` with and without a
profile, ``vminv run``), never a traceback, never a byte of the file (an
inline password may be among them).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.unattended.conftest import vminv

COMMANDS = [["config", "show"], ["config", "show", "lab"], ["run", "lab"]]


def _one_error_line(args: list[str], config: Path | str) -> str:
    result = vminv(*args, "--config", str(config))
    assert result.exit_code == 2, result.output
    (line,) = result.stderr.splitlines()
    assert "Traceback" not in result.output and line.isprintable()
    return line


@pytest.mark.parametrize("args", COMMANDS)
def test_a_directory_is_named_as_one(args, tmp_path):
    line = _one_error_line(args, tmp_path)
    assert f"configuration file {tmp_path} is a directory, not a file" in line
    assert f"--config {tmp_path / 'config.toml'}" in line


@pytest.mark.parametrize("args", COMMANDS)
def test_not_utf8_says_where_and_shows_no_byte(args, tmp_path):
    config = tmp_path / "latin1.toml"
    config.write_bytes(b'[defaults]\ntimeout = 3\n[profiles.lab]\nnoderange = "h1"\npassword = "gr\xfc\xdfe"\n')
    line = _one_error_line(args, config)
    assert f"configuration file {config} is not UTF-8: a byte at line 5, column 15 (offset 69)" in line
    assert "save it as UTF-8" in line
    assert "\\xfc" not in line and "0xfc" not in line and "252" not in line and "gr" not in line


@pytest.mark.parametrize("args", COMMANDS)
def test_a_toml_error_names_the_file_and_the_line(args, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text('[defaults]\ntimeout = 3\n[profiles.lab\nnoderange = "h1"\n')
    line = _one_error_line(args, config)
    assert f"{config}: not valid TOML:" in line and "line 3" in line


@pytest.mark.parametrize("args", COMMANDS)
def test_a_fifo_is_refused_without_waiting_for_a_writer(args, tmp_path):
    fifo = tmp_path / "config.toml"
    os.mkfifo(fifo)
    line = _one_error_line(args, fifo)
    assert f"configuration file {fifo} is not a regular file" in line


@pytest.mark.parametrize("args", COMMANDS)
def test_an_unreadable_file_says_so(args, tmp_path):
    if os.geteuid() == 0:
        unreadable = Path("/proc/self/mem")  # a regular file that even root cannot read from its start (EIO)
    else:
        unreadable = tmp_path / "secret.toml"
        unreadable.write_text("[defaults]\n")
        unreadable.chmod(0)
    line = _one_error_line(args, unreadable)
    assert f"cannot read configuration file {unreadable}:" in line and "may read it" in line


def test_missing_still_says_which_setting_named_it(tmp_path):
    line = _one_error_line(["config", "show"], tmp_path / "nope.toml")
    assert f"configuration file {tmp_path / 'nope.toml'} does not exist; check --config" in line
