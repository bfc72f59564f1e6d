"""``vminv reconcile``, ``lsve`` and ``ca`` through click, against the simulated engine and a real SQLite DB."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from tests.engine_sim import EngineMode
from vminv.cli import rhev_cmds


@pytest.fixture
def cli() -> click.Group:
    # The rhev commands alone (``vminv`` itself also loads the inventory commands).
    group = click.Group("vminv")
    rhev_cmds.register(group)
    return group


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "rhevm.pw"
    path.write_text("engine-secret\n")
    return path


def run(cli: click.Group, args: list[str], **kwargs: object) -> click.testing.Result:
    return CliRunner().invoke(cli, args, catch_exceptions=False, **kwargs)


@pytest.fixture
def db_with_scan(tmp_path: Path, site_scan) -> Path:
    from vminv import inventory

    db = tmp_path / "inventory.db"
    inventory.record_scan(db, site_scan, None)
    return db


def test_reconcile_json_and_stored_findings(cli, start_engine, pki, password_file, db_with_scan) -> None:
    engine = start_engine()
    result = run(cli, ["reconcile", "--rhevm", engine.url, "--ca-file", str(pki.ca_file), "--password-file",
                       str(password_file), "--db", str(db_with_scan), "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    kinds = {item["kind"] for item in document["findings"]}
    assert kinds == {"ok", "wrong_host", "state_mismatch", "missing", "unmanaged", "duplicate_active",
                     "stale_definition", "drift", "not_covered"}
    assert document["engine"]["api_version"] == 4 and document["summary"]["missing"] == 1
    # The engine's facts of each VM and host (issue 8.7).
    web = next(f for f in document["findings"] if f["guest"] == "web01")
    assert web["engine_facts"]["fqdn"] == "web01.example.com"
    assert web["engine_facts"]["pinned_hosts"] == ["kvm01", "kvm02"]
    assert web["engine_facts"]["guest_ips"] == ["10.0.10.21", "fe80::21a:4aff:fe16:101"]
    assert web["engine_facts"]["guest_os"]["distribution"] == "CentOS Linux"
    assert all(f["engine_facts"] is None for f in document["findings"] if f["kind"] == "unmanaged")
    kvm01 = next(h for h in document["engine_hosts"] if h["name"] == "kvm01")
    assert kvm01["vdsm_version"] == "vdsm-4.30.50-1.el7ev" and kvm01["hardware_serial"] == "8F1VQ01"
    with sqlite3.connect(db_with_scan) as conn:
        stored = conn.execute("SELECT scan_id, engine_url, kind, guest FROM findings ORDER BY id").fetchall()
    assert len(stored) == len(document["findings"])
    assert {row[0] for row in stored} == {document["scan_id"]} and stored[0][1] == engine.url
    assert ("missing", "ghost01") in {(row[2], row[3]) for row in stored}


def test_reconcile_table_v3_with_password_from_env(cli, start_engine, pki, db_with_scan, golden) -> None:
    engine = start_engine()
    result = run(cli, ["reconcile", "-m", engine.url, "--ca-file", str(pki.ca_file), "--api-version", "3",
                       "--db", str(db_with_scan)], env={"VMINV_RHEVM_PASSWORD": "engine-secret"})
    assert result.exit_code == 0, result.output
    golden.check("rhev/reconcile-cli.txt", result.stdout)
    assert "API v3" in result.stderr and "1 missing" in result.stderr


def test_reconcile_w_fills_engine_attributes(cli, start_engine, pki, password_file, db_with_scan) -> None:
    engine = start_engine()
    result = run(cli, ["reconcile", "-m", engine.url, "--ca-file", str(pki.ca_file), "--password-file",
                       str(password_file), "--db", str(db_with_scan), "-w"])
    assert result.exit_code in (0, 4), result.output
    with sqlite3.connect(db_with_scan) as conn:
        vm = dict(((n, (m, c, d)) for n, m, c, d in conn.execute("SELECT node, mgr, cluster, datacenter FROM vm")))
        hyp = {n: (t, m, c) for n, t, m, c in conn.execute("SELECT node, type, mgr, cluster FROM hypervisor")}
    assert vm["web01"] == ("127.0.0.1", "prod", "Default")
    assert hyp["kvm01"] == ("rhevh", "127.0.0.1", "prod")
    assert "engine data written (-w)" in result.stderr


def test_reconcile_without_password_is_a_usage_error(cli, start_engine, pki, db_with_scan) -> None:
    engine = start_engine()
    result = run(cli, ["reconcile", "-m", engine.url, "--ca-file", str(pki.ca_file), "--db", str(db_with_scan)],
                 env={"VMINV_RHEVM_PASSWORD": ""})
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "vminv: error: no password for admin@internal; give --password-file FILE or set VMINV_RHEVM_PASSWORD"
        " (it is never taken from the command line)")
    assert engine.requests == []


def test_bad_password_is_one_line_exit_1(cli, start_engine, pki, tmp_path, db_with_scan) -> None:
    engine = start_engine()
    wrong = tmp_path / "wrong.pw"
    wrong.write_text("nope")
    result = run(cli, ["reconcile", "-m", engine.url, "--ca-file", str(pki.ca_file), "--password-file", str(wrong),
                       "--db", str(db_with_scan)])
    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert "refused the login of admin@internal" in result.stderr and "nope" not in result.stderr


def test_wrong_ca_is_exit_1_with_a_hint(cli, start_engine, pki, password_file, db_with_scan) -> None:
    engine = start_engine()
    result = run(cli, ["reconcile", "-m", engine.url, "--ca-file", str(pki.other_ca_file), "--password-file",
                       str(password_file), "--db", str(db_with_scan)])
    assert result.exit_code == 1 and "not trusted" in result.stderr and "vminv ca" in result.stderr


def test_insecure_warns(cli, start_engine, password_file) -> None:
    engine = start_engine()
    result = run(cli, ["lsve", "-t", "cl", "-m", engine.url, "--insecure", "--password-file", str(password_file)])
    assert result.exit_code == 0
    assert result.stderr.startswith("warning: --insecure")


def test_unknown_scan_is_a_usage_error(cli, start_engine, pki, password_file, db_with_scan) -> None:
    engine = start_engine()
    result = run(cli, ["reconcile", "-m", engine.url, "--ca-file", str(pki.ca_file), "--password-file",
                       str(password_file), "--db", str(db_with_scan), "--scan", "99"])
    assert result.exit_code == 2 and "there is no scan 99" in result.stderr


@pytest.mark.parametrize(("kind", "name"), [("dc", "Default"), ("cl", None), ("sd", "iso"), ("nw", None), ("tpl", "rhel7-tpl"),
                                           ("vm", "web01"), ("host", "kvm01")])
def test_lsve(cli, start_engine, pki, password_file, golden, kind: str, name: str | None) -> None:
    engine = start_engine()
    args = ["lsve", "-t", kind, "-m", engine.url, "--ca-file", str(pki.ca_file), "--password-file", str(password_file)]
    if name:
        args += ["-o", name]
    result = run(cli, args)
    assert result.exit_code == 0, result.output
    golden.check(f"rhev/lsve-{kind}.txt", result.stdout)


def test_lsve_same_on_v3(cli, start_engine, pki, password_file) -> None:
    outputs = []
    for version in ("4", "3"):
        engine = start_engine()
        result = run(cli, ["lsve", "-t", "sd", "-m", engine.url, "--ca-file", str(pki.ca_file), "--password-file",
                           str(password_file), "--api-version", version])
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] and "storagedomains: [data1]" in outputs[0]


def test_lsve_unknown_name(cli, start_engine, pki, password_file) -> None:
    engine = start_engine()
    result = run(cli, ["lsve", "-t", "dc", "-m", engine.url, "--ca-file", str(pki.ca_file), "--password-file",
                       str(password_file), "-o", "Nowhere"])
    assert result.exit_code == 2
    assert "the engine has no datacenter named 'Nowhere'; known: Default, Lab" in result.stderr


def test_ca_command(cli, start_engine, pki, tmp_path: Path) -> None:
    from vminv.rhev.ca import fingerprint_sha256

    engine = start_engine()
    target = tmp_path / "engine-ca.pem"
    refused = run(cli, ["ca", "-m", engine.url, "--ca-file", str(target)], input="n\n")
    assert refused.exit_code == 2 and not target.exists()  # stdin is no terminal: never saved without --yes
    result = run(cli, ["ca", "-m", engine.url, "--ca-file", str(target), "--yes"])
    assert result.exit_code == 0
    assert f"SHA-256 fingerprint: {fingerprint_sha256(pki.ca_pem)}" in result.stderr
    assert target.read_text().strip() == pki.ca_pem.strip()


def test_ca_command_creates_private_folders_whatever_the_umask(cli, start_engine, tmp_path: Path) -> None:
    import os
    import stat

    engine = start_engine()
    (tmp_path / "shared").mkdir(mode=0o755)
    target = tmp_path / "shared" / "config" / "vminv" / "engine-ca.pem"
    old = os.umask(0)
    try:
        result = run(cli, ["ca", "-m", engine.url, "--ca-file", str(target), "--yes"])
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.stderr
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (target.parents[2], target.parents[1], target.parent)}
    assert modes == {"shared": 0o755, "config": 0o700, "vminv": 0o700}  # existing folders keep their mode
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # a CA certificate is public


def test_commands_have_examples(cli) -> None:
    for name in ("reconcile", "lsve", "ca"):
        assert "Example:" in (cli.commands[name].help or "")


def test_reconcile_on_rhev_3_0(cli, start_engine, pki, password_file, db_with_scan) -> None:
    engine = start_engine(EngineMode(version="3.0"))
    result = run(cli, ["reconcile", "-m", engine.url, "--ca-file", str(pki.ca_file), "--password-file",
                       str(password_file), "--db", str(db_with_scan), "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["engine"]["api_version"] == 3
    # 3.0 has no hardware UUIDs and no /ovirt-engine/api, and the findings are the same.
    assert document["summary"]["missing"] == 1 and document["summary"]["drift"] == 1


@pytest.mark.parametrize(("content", "text"), [(b"", "is empty"), (b"\n", "is empty"), (b"\xff\xfe", "is not UTF-8")])
def test_unusable_password_file_is_a_usage_error(cli, start_engine, pki, tmp_path, content, text) -> None:
    engine = start_engine()
    path = tmp_path / "rhevm.pw"
    path.write_bytes(content)
    result = run(cli, ["lsve", "-t", "dc", "-m", engine.url, "--ca-file", str(pki.ca_file),
                       "--password-file", str(path)])
    assert result.exit_code == 2 and text in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert engine.requests == []  # nothing was sent


@pytest.mark.parametrize("url", ["https://127.0.0.1:99999", "https://[::1", "http://127.0.0.1:9"])
def test_bad_engine_url_is_one_line(cli, password_file, url) -> None:
    result = run(cli, ["lsve", "-t", "dc", "-m", url, "--password-file", str(password_file)])
    assert result.exit_code == 2 and result.stderr.startswith("vminv: error: engine URL")
    assert len(result.stderr.strip().splitlines()) == 1


def test_ca_over_plain_http_is_refused_with_a_hint_that_applies(cli, tmp_path):
    result = run(cli, ["ca", "-m", "http://127.0.0.1:1", "--ca-file", str(tmp_path / "ca.pem"), "--yes"])
    assert result.exit_code == 2
    assert "https://HOST" in result.stderr and "--insecure" not in result.stderr
    assert not (tmp_path / "ca.pem").exists()
