"""`vminv run` with an engine: findings are stored, counted by severity, and fail the run at fail_on."""

from __future__ import annotations

import json
import sqlite3

from prometheus_client.parser import text_string_to_metric_families

from tests.rhev.conftest import HOSTS_DIR
from tests.unattended.conftest import ansible_values, vminv


def _config(tmp_path, engine, pki, fail_on: str) -> str:
    password = tmp_path / "rhevm.pw"
    password.write_text(engine.password + "\n")
    path = tmp_path / "config.toml"
    path.write_text(
        "[profiles.site]\n"
        'noderange = "kvm01,kvm03"\n'
        f'uri = "test://{HOSTS_DIR}/{{host}}.xml"\n'
        f'db = "{tmp_path / "inv.db"}"\n'
        f'metrics_file = "{tmp_path / "vminv.prom"}"\n'
        f'log_json = "{tmp_path / "run.jsonl"}"\n'
        "[profiles.site.engine]\n"
        f'url = "{engine.url}"\nuser = "{engine.user}"\n'
        f'password_file = "{password}"\nca_file = "{pki.ca_file}"\ntimeout = 5\n'
        f'[profiles.site.health]\nfail_on = "{fail_on}"\n'
    )
    return str(path)


def test_findings_at_or_above_fail_on_exit_5_and_are_exported(start_engine, pki, tmp_path):
    engine = start_engine()
    result = vminv("run", "site", "--config", _config(tmp_path, engine, pki, "medium"))
    assert result.exit_code == 5, result.output
    assert "findings: " in result.stdout and "medium" in result.stdout
    stored = sqlite3.connect(tmp_path / "inv.db").execute("SELECT COUNT(*) FROM findings WHERE scan_id = 1").fetchone()[0]
    assert stored > 0
    steps = {json.loads(line)["step"]: json.loads(line) for line in (tmp_path / "run.jsonl").read_text().splitlines()}
    reconcile, health = steps["reconcile"], steps["health"]
    assert reconcile["status"] == "ok" and reconcile["stored"] is True and reconcile["findings"] > 0
    assert health["at_or_above_fail_on"] > 0
    families = {f.name: f for f in text_string_to_metric_families((tmp_path / "vminv.prom").read_text())}
    findings = families["vminv_findings"].samples
    assert findings and {"profile", "severity", "kind"} == set(findings[0].labels)
    assert sum(s.value for s in findings) == health["findings"]
    assert any(s.labels["kind"].startswith("engine_") for s in findings)
    # The password never reaches the log, the metrics or the output.
    for text in ((tmp_path / "run.jsonl").read_text(), (tmp_path / "vminv.prom").read_text(), result.output):
        assert engine.password not in text


def test_fail_on_never_keeps_the_findings_but_not_the_status(start_engine, pki, tmp_path):
    engine = start_engine()
    result = vminv("run", "site", "--config", _config(tmp_path, engine, pki, "never"))
    assert result.exit_code == 0, result.output


def test_an_engine_that_is_down_fails_its_step_only(pki, tmp_path):
    class Down:
        url = "https://127.0.0.1:9"
        user = "admin@internal"
        password = "pw"

    result = vminv("run", "site", "--config", _config(tmp_path, Down, pki, "medium"))
    assert result.exit_code == 1
    assert "scan 1: 2 hosts" in result.stdout and "FAILED: reconcile (" in result.stdout


def test_the_engines_guest_addresses_give_ansible_host_where_libvirt_has_none(start_engine, pki, tmp_path):
    engine = start_engine()
    vminv("run", "site", "--config", _config(tmp_path, engine, pki, "never"))
    exported = vminv("export", "--format", "ansible", "--db", str(tmp_path / "inv.db"))
    web01 = ansible_values(json.loads(exported.stdout)["_meta"]["hostvars"]["web01"])
    assert web01["vminv_engine_ips"] == ["10.0.10.21", "fe80::21a:4aff:fe16:101"]
    assert web01["ansible_host"] == "10.0.10.21"  # the global IPv4, not the link-local IPv6


def test_an_inventory_from_before_gets_the_engine_addresses_table(tmp_path):
    from tests.inventory.inventory_synthetic import synthetic_scan
    from vminv import inventory
    from vminv.inventory import schema

    db = tmp_path / "inv.db"
    inventory.record_scan(db, synthetic_scan(range(1), 1), "w")
    step = [name for name, _ in schema.MIGRATIONS].index("engine guest addresses") + 1
    with sqlite3.connect(db) as conn:  # a file written before the step
        conn.execute("DROP TABLE engine_guest_ips")
        conn.execute("DELETE FROM _migrations WHERE version >= ?", [step])
        conn.execute(f"PRAGMA user_version = {step - 1}")
    inventory.store_engine_ips(db, "https://e", {"ABC": ["10.0.0.1"], "def": []})
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT uuid, ips FROM engine_guest_ips").fetchall() == [("abc", "10.0.0.1")]
