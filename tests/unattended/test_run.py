"""`vminv run PROFILE` over simulated hosts: steps, summary, JSON log, metrics, exit statuses."""

from __future__ import annotations

import json
import re
import stat
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.unattended.conftest import vminv
from vminv import inventory


def _samples(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    samples = {}
    for family in text_string_to_metric_families(path.read_text()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_a_run_scans_writes_logs_and_exports_metrics(write_config, tmp_path):
    metrics, log = tmp_path / "vminv.prom", tmp_path / "run.jsonl"
    config = write_config(f'metrics_file = "{metrics}"\nlog_json = "{log}"\n')
    result = vminv("run", "lab", "--config", str(config))
    assert result.exit_code == 0, result.output
    (line,) = result.stdout.splitlines()
    assert line.startswith("lab: scan 1: 2 hosts, 9 guests; written: 7 new, 0 updated, 2 skipped, 0 moved, 0 gone, 0 conflicts;")
    assert "FAILED" not in line
    records = [json.loads(text) for text in log.read_text().splitlines()]
    assert [(r["step"], r["status"]) for r in records[:-1]] == [
        ("scan", "ok"), ("write", "ok"), ("reconcile", "skipped"), ("health", "ok"), ("reports", "skipped"),
        ("retention", "skipped"), ("metrics", "ok"),
    ]
    health = records[3]
    assert health["findings"] == sum(health["by_severity"].values())
    assert records[0]["guests"] == 9 and records[1]["written"] == 7
    assert records[-1]["step"] == "run" and records[-1]["summary"] == line
    samples = _samples(metrics)
    lab = (("profile", "lab"),)
    assert samples[("vminv_hosts", (("profile", "lab"), ("status", "ok")))] == 2
    assert samples[("vminv_hosts", (("profile", "lab"), ("status", "failed")))] == 0
    assert samples[("vminv_hosts_failed", (("error_class", "timeout"), ("profile", "lab")))] == 0
    assert sum(v for (name, _), v in samples.items() if name == "vminv_guests") == 9
    assert samples[("vminv_guests", (("profile", "lab"), ("state", "shutoff")))] >= 1
    assert samples[("vminv_conflicts", lab)] == 0
    assert samples[("vminv_scan_duration_seconds", lab)] > 0
    assert samples[("vminv_last_success_timestamp_seconds", lab)] > 1.7e9
    assert not list(tmp_path.glob(".vminv.prom.*"))  # no temporary file left behind
    # -q: nothing on stdout.
    quiet = vminv("run", "lab", "--config", str(config), "-q")
    assert quiet.exit_code == 0 and quiet.stdout == ""


def test_command_line_options_win_over_the_profile(write_config, tmp_path):
    config = write_config()
    result = vminv("run", "lab", "--config", str(config), "--noderange", "kvmhost3", "--write", "none")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("lab: scan 1: 1 hosts, 3 guests; written: 0 new")
    assert inventory.export_nodes(tmp_path / "inv.db")[0] == []  # write none: node tables empty


def test_a_failed_host_is_partial_and_metrics_name_its_class(write_config, tmp_path):
    metrics = tmp_path / "vminv.prom"
    config = write_config(f'metrics_file = "{metrics}"\n')
    result = vminv("run", "lab", "--config", str(config), "--noderange", "kvmhost1,kvmhost9")
    assert result.exit_code == 3, result.output
    assert "2 hosts (1 failed)" in result.stdout
    samples = _samples(metrics)
    assert samples[("vminv_hosts", (("profile", "lab"), ("status", "failed")))] == 1
    assert sum(v for (name, _), v in samples.items() if name == "vminv_hosts_failed") == 1


def test_a_failing_write_never_loses_the_scan_and_later_steps_still_run(write_config, tmp_path):
    metrics = tmp_path / "vminv.prom"
    config = write_config(f'metrics_file = "{metrics}"\n')
    assert vminv("run", "lab", "--config", str(config)).exit_code == 0
    first_success = _samples(metrics)[("vminv_last_success_timestamp_seconds", (("profile", "lab"),))]
    broken = tmp_path / "broken.db"
    broken.write_text("this is not a database")
    result = vminv("run", "lab", "--config", str(config), "--db", str(broken))
    assert result.exit_code == 1
    assert "scan (not recorded): 2 hosts, 9 guests;" in result.stdout
    assert "FAILED: write (" in result.stdout and "not a valid SQLite database" in result.stdout
    (saved,) = tmp_path.glob("broken.db.unrecorded-*.json")
    assert len(json.loads(saved.read_text())["guests"]) == 9
    samples = _samples(metrics)
    assert samples[("vminv_run_step_failed", (("profile", "lab"), ("step", "write")))] == 1
    # The last success is carried over from the run before.
    assert samples[("vminv_last_success_timestamp_seconds", (("profile", "lab"),))] == first_success


def test_reports_are_written_per_format_at_the_path_template(write_config, tmp_path):
    log = tmp_path / "run.jsonl"
    template = f"{tmp_path}/reports/{{date}}/lab-scan{{scan}}"
    config = write_config(f'log_json = "{log}"\nreports = {{ formats = ["html", "json", "csv"], path = "{template}" }}\n')
    result = vminv("run", "lab", "--config", str(config))
    assert result.exit_code == 0, result.output
    (folder,) = (tmp_path / "reports").iterdir()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", folder.name)
    assert (folder / "lab-scan1.html").read_text().lstrip().lower().startswith("<!doctype html")
    assert json.loads((folder / "lab-scan1.json").read_text())
    assert list((folder / "lab-scan1-csv").glob("*.csv"))
    step = next(json.loads(line) for line in log.read_text().splitlines() if json.loads(line)["step"] == "reports")
    assert step["status"] == "ok" and len(step["files"]) >= 3


def test_fail_on_counts_the_health_findings(write_config):
    config = write_config('[profiles.lab.health]\nfail_on = "info"\nshutoff_days = 0\n')
    result = vminv("run", "lab", "--config", str(config))
    assert result.exit_code == 5, result.output
    assert "findings: " in result.stdout


def test_retention_keeps_the_last_scans_and_history_stays(write_config, tmp_path):
    config = write_config("retention = { scans = 2 }\n")
    for _ in range(4):
        assert vminv("run", "lab", "--config", str(config)).exit_code == 0
    scans = inventory.list_scans(tmp_path / "inv.db")
    assert [s.id for s in scans] == [3, 4] or sorted(s.id for s in scans) == [3, 4]
    history = inventory.guest_history(tmp_path / "inv.db", "web01")
    assert history.events[0].event == "first_seen" and history.events[0].scan_id == 1


def test_a_second_run_says_busy_or_waits(write_config, tmp_path):
    config = write_config()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from vminv.inventory.lock import writer_lock\n"
         "with writer_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(1.0)",
         str(tmp_path / "inv.db")], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    busy = vminv("run", "lab", "--config", str(config), "--log-json", str(tmp_path / "run.jsonl"))
    assert busy.exit_code == 6 and busy.stdout == ""
    assert len(busy.stderr.splitlines()) == 1 and "being written by another vminv" in busy.stderr
    (logged,) = [json.loads(line) for line in (tmp_path / "run.jsonl").read_text().splitlines()]
    assert (logged["step"], logged["status"], logged["profile"]) == ("lock", "busy", "lab")
    waited = vminv("run", "lab", "--config", str(config), "--wait", "30")
    holder.wait()
    assert waited.exit_code == 0, waited.output


def test_config_errors_and_missing_files_are_one_line_usage_errors(write_config, tmp_path):
    config = write_config("timout = 3\n")
    result = vminv("run", "lab", "--config", str(config))
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"cli: error: {config}:8: unknown key profiles.lab.timout; known keys: accept_new_host_keys,")
    missing = vminv("run", "lab", "--config", str(tmp_path / "nope.toml"))
    assert missing.exit_code == 2 and "does not exist" in missing.stderr
    env = vminv("run", "lab", env={"VMINV_CONFIG": str(tmp_path / "env.toml")})
    assert env.exit_code == 2 and "env.toml does not exist; check --config or $VMINV_CONFIG" in env.stderr


def test_config_show_masks_secrets(write_config, tmp_path):
    config = write_config('[profiles.lab.engine]\nurl = "https://rhevm.example.com"\npassword = "hunter2"\n')
    result = vminv("config", "show", "lab", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "hunter2" not in result.stdout and "********" in result.stdout
    assert "noderange" in result.stdout and "kvmhost1,kvmhost3" in result.stdout
    document = json.loads(vminv("config", "show", "lab", "--config", str(config), "--format", "json").stdout)
    assert document["settings"]["engine.password"] == {"value": "********", "from": "profile"}
    assert document["settings"]["timeout"] == {"value": "20.0", "from": "defaults"}
    listing = vminv("config", "show", "--config", str(config))
    assert listing.stdout.endswith("profiles lab\n")


def test_the_json_log_escapes_unprintable_text_and_an_unrecorded_scan_is_private(write_config, tmp_path):
    # The failed write's error quotes the inventory's name: a bidi override and a C1 CSI in it
    # reach the log as JSON's own escapes (a `tail` of the log shows them literally), exact when parsed.
    config = write_config()
    broken = tmp_path / "b\u202e\x9b.db"
    broken.write_text("this is not a database")
    log = tmp_path / "run.jsonl"
    result = vminv("run", "lab", "--config", str(config), "--db", str(broken), "--log-json", str(log))
    assert result.exit_code == 1
    lines = log.read_text(encoding="utf-8").splitlines()
    assert lines and all(line.isprintable() for line in lines)
    write = next(json.loads(line) for line in lines if json.loads(line)["step"] == "write")
    assert str(broken) in write["error"]
    (saved,) = tmp_path.glob("b*.db.unrecorded-*.json")
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
