"""Health thresholds are bounded in one place, for the CLI, the library and the configuration file."""

from __future__ import annotations

import math

import pytest
from click.testing import CliRunner

from vminv.cli.vminv import cli
from vminv.errors import UsageError
from vminv.report.health import THRESHOLD_BOUNDS, Thresholds


@pytest.mark.parametrize(("name", "value"), [
    ("shutoff_days", 10**20), ("gone_days", -1), ("failed_scans", 0), ("memory_overcommit", math.nan),
    ("cpu_overcommit", math.inf), ("unscanned_days", 1.5), ("shutoff_days", True),
])
def test_a_threshold_out_of_its_bounds_is_one_usage_error(name, value):
    with pytest.raises(UsageError, match=name):
        Thresholds(**{name: value})


def test_the_defaults_and_the_bounds_themselves_are_accepted():
    Thresholds()
    for name, (_kind, lowest, highest) in THRESHOLD_BOUNDS.items():
        Thresholds(**{name: type(getattr(Thresholds(), name))(lowest)})
        Thresholds(**{name: type(getattr(Thresholds(), name))(highest)})


def test_a_huge_threshold_on_the_command_line_is_one_line_not_an_internal_error(tmp_path):
    result = CliRunner().invoke(cli, ["report", "--db", str(tmp_path / "none.db"), "--format", "json",
                                      "--shutoff-days", "99999999999999999999"], env={})
    assert result.exit_code == 2, result.output
    assert "threshold shutoff_days must be a number from 0 to 36500" in result.output
    assert "internal error" not in result.output and "Traceback" not in result.output
