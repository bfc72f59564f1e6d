"""One secret reader for the ssh and the engine password: same sources, same order, same errors.

No message ever carries a byte of the password (a non-UTF-8 file is named,
never quoted); a FIFO or /dev/zero given as the file cannot hang or fill memory.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from vminv.cli.rscan import cli as rscan
from vminv.cli.vminv import cli as vminv
from vminv.errors import UsageError
from vminv.secret import read_secret

PASSWORD = b"p\xe4ss\xff\xfeword"  # latin-1 bytes: not UTF-8


def test_file_then_environment_then_prompt(tmp_path: Path) -> None:
    file = tmp_path / "pw"
    file.write_text("from-file\n")
    asked: list[str] = []

    def prompt(what: str) -> str:
        asked.append(what)
        return "typed"

    assert read_secret("x", file=file, env_value="env", prompt=prompt) == "from-file"
    assert read_secret("x", env_value="env", prompt=prompt) == "env"
    assert read_secret("ssh password", env_value="", prompt=prompt) == "typed" and asked == ["ssh password"]
    assert read_secret("x", required=False) is None
    with pytest.raises(UsageError, match=r"no x; give --password-file FILE or set V_PW"):
        read_secret("x", env_name="V_PW")


@pytest.mark.parametrize("content", [b"secret\n", b"secret\r\n", b"secret"])
def test_the_trailing_newline_is_not_part_of_it(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "pw").write_bytes(content)
    assert read_secret("x", file=tmp_path / "pw") == "secret"


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "latin1").write_bytes(PASSWORD + b"\n")
    (tmp_path / "empty").write_bytes(b"\n")
    (tmp_path / "dir").mkdir()
    return {"not UTF-8": tmp_path / "latin1", "empty": tmp_path / "empty", "cannot read": tmp_path / "missing",
            "cannot read ": tmp_path / "dir", "larger than": Path("/dev/zero")}


def test_bad_files_are_one_line_without_a_password_byte(tmp_path: Path) -> None:
    for text, path in _bad_files(tmp_path).items():
        with pytest.raises(UsageError) as info:
            read_secret("password for admin@internal", file=path)
        message = str(info.value)
        assert text.strip() in message and str(path) in message and "\n" not in message
        for shown in ("\\xe4", "0xe4", "\\xff", "0xff", "position", "\ufffd", "ä"):
            assert shown not in message


@pytest.mark.parametrize("command", ["rscan", "reconcile", "lsve"])
def test_both_passwords_use_it(tmp_path: Path, command: str) -> None:
    db = tmp_path / "inv.db"
    for text, path in _bad_files(tmp_path).items():
        if command == "rscan":
            args = ["kvm1", "--transport", "ssh", "--password-file", str(path), "--no-db"]
            result = CliRunner().invoke(rscan, args, env={"VMINV_SSH_PASSWORD": ""}, catch_exceptions=False)
        else:
            args = [command, "-m", "https://127.0.0.1:1", "--password-file", str(path)]
            args += ["-t", "cl"] if command == "lsve" else ["--db", str(db)]
            result = CliRunner().invoke(vminv, args, catch_exceptions=False)
        assert result.exit_code == 2, (text, result.output)
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and text.strip() in lines[0], lines
        assert "\\xe4" not in lines[0] and "0xe4" not in lines[0]
