"""A configuration file over simulated hosts (libvirt's test driver), and `vminv` through click."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from vminv.cli.vminv import cli

NODES = Path(__file__).resolve().parents[2] / "fixtures" / "nodes"


def vminv(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env={"VMINV_CONFIG": "", "VMINV_DB": "", **(env or {})},
                              catch_exceptions=False)


@pytest.fixture
def hosts_dir(tmp_path: Path) -> Path:
    """Node files kvmhost1 and kvmhost3 (no name on both), editable by the test."""
    folder = tmp_path / "hosts"
    folder.mkdir()
    for name in ("kvmhost1", "kvmhost3"):
        shutil.copy(NODES / f"{name}.xml", folder / f"{name}.xml")
    return folder


@pytest.fixture
def write_config(tmp_path: Path, hosts_dir: Path) -> Callable[[str], Path]:
    """``write_config(extra)``: a config with profile ``lab`` over the simulated hosts, plus ``extra`` TOML."""

    def write(extra: str = "") -> Path:
        path = tmp_path / "config.toml"
        path.write_text(
            "[defaults]\n"
            f'db = "{tmp_path / "inv.db"}"\n'
            f'uri = "test://{hosts_dir}/{{host}}.xml"\n'
            "timeout = 20\n"
            "[profiles.lab]\n"
            'noderange = "kvmhost1,kvmhost3"\n'
            'write = "w"\n' + extra
        )
        return path

    return write


def ansible_values(value: Any) -> Any:
    """What Ansible reads from values marked ``{"__ansible_unsafe": TEXT}``: the plain strings."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: ansible_values(item) for key, item in value.items()}
    if isinstance(value, list):
        return [ansible_values(item) for item in value]
    return value
