"""Durations are checked once for every command (finite, in range); ``vminv ca`` says at once when it cannot save."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.rhev.conftest import settings_for
from vminv.cli.rscan import cli as rscan
from vminv.cli.vminv import cli as vminv
from vminv.errors import UsageError
from vminv.limits import check_seconds
from vminv.rhev.settings import EngineSettings
from vminv.rhev.snapshot import read_engine
from vminv.scanner.scan import ScanSettings

REPLAY = Path(__file__).resolve().parents[2] / "fixtures" / "replay"
BAD = ["nan", "inf", "-inf", "0", "-1", "1e300"]


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 0.0, -1.0, 1e300])
def test_check_seconds_refuses(value: float) -> None:
    with pytest.raises(UsageError):
        check_seconds(value, "--timeout")


def test_check_seconds_accepts() -> None:
    assert check_seconds(30, "--timeout") == 30.0
    assert check_seconds(0, "--wait", zero_ok=True) == 0.0


@pytest.mark.parametrize("value", [math.nan, math.inf, 0.0])
def test_the_libraries_use_it_too(value: float) -> None:
    with pytest.raises(UsageError):
        EngineSettings(url="https://rhevm.example.com", timeout_s=value)
    with pytest.raises(UsageError):
        ScanSettings(timeout_s=value)


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize("command", [
    ["rscan", "--replay", str(REPLAY), "--no-db", "--timeout"],
    ["rscan", "--replay", str(REPLAY), "--no-db", "--wait"],
    ["reconcile", "-m", "https://127.0.0.1:1", "--timeout"],
    ["lsve", "-t", "cl", "-m", "https://127.0.0.1:1", "--timeout"],
    ["ca", "-m", "https://127.0.0.1:1", "--ca-file", "/tmp/never-written.pem", "--timeout"],
], ids=["rscan", "rscan-wait", "reconcile", "lsve", "ca"])
def test_every_command_refuses_bad_durations(command: list[str], value: str, tmp_path: Path) -> None:
    if value == "0" and command[-1] == "--wait":
        return  # --wait 0: do not wait (the default)
    program, *args = command
    env = {"VMINV_RHEVM_PASSWORD": "x", "VMINV_DB": str(tmp_path / "inv.db")}
    result = CliRunner().invoke(rscan if program == "rscan" else vminv, [*([] if program == "rscan" else [program]),
                                *args, value], env=env, catch_exceptions=False)
    assert result.exit_code == 2, result.output
    assert "must be" in result.stderr and "Traceback" not in result.stderr


def test_ca_into_a_folder_that_cannot_exist_is_one_line_before_fetching(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    result = CliRunner().invoke(vminv, ["ca", "-m", "https://127.0.0.1:1", "--ca-file",
                                        str(tmp_path / "a-file" / "sub" / "ca.pem"), "--yes"], catch_exceptions=False)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"cli: error: cannot create the folder of --ca-file {tmp_path}/a-file/sub/ca.pem: Not a directory; "
        "choose a file in a folder you can write"
    ]


def test_ca_creates_missing_folders(start_engine, pki, tmp_path: Path) -> None:
    engine = start_engine()
    target = tmp_path / "new" / "deeper" / "ca.pem"
    result = CliRunner().invoke(vminv, ["ca", "-m", engine.url, "--ca-file", str(target), "--yes"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "BEGIN CERTIFICATE" in target.read_text()
    assert len(read_engine(settings_for(engine, pki, ca_file=target), parts={"hosts"}).hosts) == 5  # it verifies
