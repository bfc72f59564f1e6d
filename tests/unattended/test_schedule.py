"""`vminv schedule`: hardened units that systemd-analyze verifies, crontab lines, periods."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.realhosts import need
from tests.unattended.conftest import vminv
from vminv.errors import UsageError
from vminv.runner.schedule import parse_every


def _verify(*paths) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["systemd-analyze", "verify", *map(str, paths)], capture_output=True, text=True,
                          cwd=paths[0].parent)


@pytest.fixture
def scheduled_config(write_config, tmp_path):
    for folder in ("textfile", "reports"):
        (tmp_path / folder).mkdir()
    return write_config(
        f'metrics_file = "{tmp_path / "textfile" / "vminv.prom"}"\n'
        f'reports = {{ formats = ["html"], path = "{tmp_path / "reports"}/{{date}}-{{scan}}" }}\n'
    )


def test_installed_units_verify_and_are_hardened(scheduled_config, tmp_path):
    need(shutil.which("systemd-analyze") is not None, "needs systemd-analyze (Debian package systemd)")
    units = tmp_path / "units"
    units.mkdir()
    result = vminv("schedule", "lab", "--every", "1h", "--config", str(scheduled_config), "--install",
                   "--unit-dir", str(units))
    assert result.exit_code == 0, result.output
    service, timer = units / "vminv-lab.service", units / "vminv-lab.timer"
    checked = _verify(service, timer)
    assert checked.returncode == 0, checked.stderr
    assert checked.stderr == "" and checked.stdout == ""  # not even a warning (unknown keys only warn)
    text = service.read_text()
    for setting in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "CapabilityBoundingSet=\n",
                    f"ReadWritePaths={tmp_path} -{tmp_path / 'textfile'} -{tmp_path / 'reports'}\n"):
        assert setting in text
    assert f" run lab --config {scheduled_config} -q --wait 1800\n" in text
    timer_text = timer.read_text()
    assert "OnCalendar=*-*-* *:00:00\n" in timer_text and "Persistent=true\n" in timer_text
    assert "RandomizedDelaySec=360\n" in timer_text


def test_a_broken_unit_fails_verification(scheduled_config, tmp_path):
    """The check above can fail: a unit systemd cannot use is refused."""
    need(shutil.which("systemd-analyze") is not None, "needs systemd-analyze (Debian package systemd)")
    units = tmp_path / "units"
    units.mkdir()
    vminv("schedule", "lab", "--config", str(scheduled_config), "--install", "--unit-dir", str(units))
    timer = units / "vminv-lab.timer"
    timer.write_text(timer.read_text().replace("OnCalendar=*-*-* *:00:00", "OnCalendar=every hour"))
    assert _verify(units / "vminv-lab.service", timer).returncode != 0


def test_printed_units_match_the_installed_ones(scheduled_config, tmp_path):
    printed = vminv("schedule", "lab", "--every", "15m", "--config", str(scheduled_config))
    assert printed.exit_code == 0
    assert printed.stdout.startswith("# vminv-lab.service\n[Unit]\n")
    assert "# vminv-lab.timer\n" in printed.stdout and "OnCalendar=*-*-* *:00/15:00\n" in printed.stdout


def test_cron_line(scheduled_config):
    result = vminv("schedule", "lab", "--every", "6h", "--cron", "--config", str(scheduled_config))
    assert result.exit_code == 0
    fields = result.stdout.split()
    assert fields[:5] == ["0", "*/6", "*", "*", "*"]
    assert fields[5].endswith("/vminv") and fields[6:9] == ["run", "lab", "--config"]
    assert result.stdout.endswith(" -q --wait 10800\n")


def test_paths_with_specifiers_are_escaped(write_config, tmp_path):
    odd = tmp_path / "100%"
    odd.mkdir()
    config = odd / "config.toml"
    config.write_text(write_config().read_text())
    result = vminv("schedule", "lab", "--config", str(config))
    assert f"--config {odd}%/config.toml" in result.stdout  # %% in a unit is one %
    cron = vminv("schedule", "lab", "--cron", "--config", str(config))
    assert "100\\%/config.toml" in cron.stdout


def test_a_user_or_path_cannot_add_a_directive_or_a_crontab_line(write_config, tmp_path):
    injected = vminv("schedule", "lab", "--config", str(write_config()), "--user", "root\nExecStartPre=/bin/id")
    assert injected.exit_code == 2 and "ExecStartPre" not in injected.stdout
    assert "is not a user name" in injected.stderr
    assert vminv("schedule", "lab", "--config", str(write_config()), "--user", "%n").exit_code == 2
    odd = tmp_path / "x\nExecStartPre=!/bin" / "sh"
    odd.mkdir(parents=True)
    config = odd / "config.toml"
    config.write_text(write_config().read_text())
    for extra in ((), ("--cron",)):
        result = vminv("schedule", "lab", "--config", str(config), *extra)
        assert result.exit_code == 2 and result.stdout == "", result.stdout
        assert "holds a line break or control character" in result.stderr


@pytest.mark.parametrize(("text", "calendar", "cron"), [
    ("5m", "*-*-* *:00/5:00", "*/5 * * * *"),
    ("1h", "*-*-* *:00:00", "0 * * * *"),
    ("60min", "*-*-* *:00:00", "0 * * * *"),
    ("2h", "*-*-* 00/2:00:00", "0 */2 * * *"),
    ("1d", "*-*-* 00:00:00", "0 0 * * *"),
])
def test_periods(text, calendar, cron):
    every = parse_every(text)
    assert (every.on_calendar, every.cron) == (calendar, cron)


@pytest.mark.parametrize("text", ["7m", "5h", "2d", "hourly", "0m", "-1h"])
def test_periods_that_do_not_divide_an_hour_or_a_day(text):
    with pytest.raises(UsageError):
        parse_every(text)
