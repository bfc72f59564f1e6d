"""``vminv run PROFILE``: scan, write, reconcile, health, reports, retention, metrics, as one locked run.

Each step is recorded (status, seconds, what it did, why it failed) and
logged as it ends. A step that fails never stops the later ones where they
can still work: when the inventory cannot be written the scan is saved as
JSON beside it and the engine is still compared with it in memory; metrics
are written last so that they describe the whole run, failures included.
The whole run holds the inventory's writer lock (:mod:`inventory.lock`).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vminv import inventory
from vminv.errors import VminvError
from vminv.inventory.location import Location
from vminv.inventory.lock import writer_lock
from vminv.inventory.report import WriteReport
from vminv.privatedirs import make_private_dirs
from vminv.runner.config import SEVERITIES, Profile
from vminv.runner.targets import profile_targets, scan_settings
from vminv.scanner.model import ScanResult
from vminv.scanner.scan import scan_hosts

LogSink = Callable[[Mapping[str, Any]], None]
STEPS = ("scan", "write", "reconcile", "health", "reports", "retention", "metrics")


@dataclass(frozen=True)
class RunSecrets:
    """Read by the CLI (files, environment); never logged or shown."""

    ssh_password: str | None = field(default=None, repr=False)
    engine_password: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class StepResult:
    step: str
    status: str  # ok | failed | skipped
    seconds: float
    detail: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "status": self.status, "seconds": round(self.seconds, 3),
                **dict(self.detail), "error": self.error}


@dataclass
class RunOutcome:
    profile: str
    db_path: Location
    started: str
    steps: list[StepResult] = field(default_factory=list)
    scan: ScanResult | None = None
    scan_id: int | None = None
    write: WriteReport | None = None
    engine_kinds: list[str] | None = None  # reconcile finding kinds, when the engine was read
    finding_counts: Counter[tuple[str, str]] = field(default_factory=Counter)  # (severity, check) -> n
    failing_findings: int = 0
    report: Any = None  # vminv.report's Report of this scan, once the health step built it
    seconds: float = 0.0

    @property
    def failed_steps(self) -> list[StepResult]:
        return [s for s in self.steps if s.status == "failed"]

    @property
    def failed_hosts(self) -> int:
        return len(self.scan.failed_hosts) if self.scan else 0

    @property
    def conflicts(self) -> int:
        return len(self.write.conflicts) if self.write else 0

    def summary_line(self) -> str:
        """``prod: scan 12: 20 hosts (1 failed), 1234 guests; written: ...; findings: ...; 41.2 s``."""
        segments = []
        if self.scan is not None:
            failed = f" ({self.failed_hosts} failed)" if self.failed_hosts else ""
            label = f"scan {self.scan_id}" if self.scan_id is not None else "scan (not recorded)"
            segments.append(f"{label}: {len(self.scan.hosts)} hosts{failed}, {len(self.scan.guests)} guests")
        if self.write is not None:
            c = self.write.counts()
            segments.append(f"written: {c['written']} new, {c['updated']} updated, {c['skipped']} skipped, "
                            f"{c['moved']} moved, {c['gone']} gone, {c['conflicts']} conflicts")
        health = self._step("health")
        if health is not None and health.status == "ok":
            by_severity: Counter[str] = Counter()
            for (severity, _), n in self.finding_counts.items():
                by_severity[severity] += n
            shown = ", ".join(f"{by_severity[s]} {s}" for s in SEVERITIES if by_severity[s]) or "none"
            segments.append(f"findings: {shown}")
        retention = self._step("retention")
        if retention is not None and retention.status == "ok":
            segments.append(f"retention: {retention.detail.get('scans_removed', 0)} scans removed")
        segments.append(f"{self.seconds:.1f} s")
        if self.failed_steps:
            segments.append("FAILED: " + ", ".join(f"{s.step} ({s.error})" for s in self.failed_steps))
        return f"{self.profile}: " + "; ".join(segments)

    def _step(self, name: str) -> StepResult | None:
        return next((s for s in self.steps if s.step == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile, "started": self.started, "seconds": round(self.seconds, 3),
            "scan_id": self.scan_id, "hosts": len(self.scan.hosts) if self.scan else None,
            "hosts_failed": self.failed_hosts, "guests": len(self.scan.guests) if self.scan else None,
            "conflicts": self.conflicts, "findings_failing": self.failing_findings,
            "failed_steps": [s.step for s in self.failed_steps],
        }


def _stamp(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ")


class _Runner:
    def __init__(self, profile: Profile, db_path: Location, secrets: RunSecrets, log: LogSink | None,
                 clock: Callable[[], datetime], unrecorded_dir: Path | None = None) -> None:
        self.profile = profile
        self.db_path = db_path
        self.unrecorded_dir = unrecorded_dir
        self.secrets = secrets
        self.log = log
        self.clock = clock
        self.outcome = RunOutcome(profile.name, db_path, clock().isoformat(timespec="seconds"))

    def step(self, name: str, action: Callable[[], Mapping[str, Any] | None]) -> None:
        started = time.monotonic()
        try:
            detail = action()
            result = (StepResult(name, "skipped", 0.0) if detail is None
                      else StepResult(name, "ok", time.monotonic() - started, detail))
        except VminvError as exc:
            result = StepResult(name, "failed", time.monotonic() - started, {}, str(exc))
        except OSError as exc:
            result = StepResult(name, "failed", time.monotonic() - started, {}, f"{exc.strerror or exc}")
        self.outcome.steps.append(result)
        if self.log is not None:
            self.log({"time": self.clock().isoformat(timespec="seconds"), "profile": self.profile.name,
                      **result.to_dict()})

    # --- the steps ---------------------------------------------------------------

    def scan(self) -> Mapping[str, Any]:
        plan = profile_targets(self.profile, self.db_path, self.secrets.ssh_password)
        scan = scan_hosts(plan.targets, scan_settings(self.profile), self.profile.noderange)
        self.outcome.scan = scan
        classes = Counter(h.error_class or "other" for h in scan.failed_hosts)
        detail: dict[str, Any] = {"hosts": len(scan.hosts), "hosts_failed": len(scan.failed_hosts),
                                  "guests": len(scan.guests), "error_classes": dict(classes)}
        if plan.warnings:  # e.g. a password in the profile's URI, removed
            detail["warnings"] = list(plan.warnings)
        return detail

    def write(self) -> Mapping[str, Any] | None:
        scan = self.outcome.scan
        if scan is None:
            return None
        try:
            report = inventory.record_scan(self.db_path, scan, self.profile.write,
                                           follow_moves=self.profile.follow_moves)
        except VminvError as exc:
            saved = self._save_unrecorded(scan)
            raise type(exc)(f"{exc.message}; the scan was saved to {saved}" if saved else exc.message,
                            exc.hint) from exc
        self.outcome.write = report
        self.outcome.scan_id = report.scan_id
        return {"scan_id": report.scan_id, "mode": report.mode, **report.counts()}

    def _save_unrecorded(self, scan: ScanResult) -> Path | None:
        """Never lose a scan: its JSON beside the inventory file, or in ``unrecorded_dir`` (PostgreSQL)."""
        name = f"unrecorded-{_stamp(self.clock())}.json"
        if isinstance(self.db_path, Path):
            path = self.db_path.with_name(f"{self.db_path.name}.{name}")
        elif self.unrecorded_dir is not None:
            path = self.unrecorded_dir / f"inventory.{name}"
        else:
            return None
        try:
            # Private like the inventory it stands in for: it describes the whole fleet.
            make_private_dirs(path.parent)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(json.dumps(scan.to_dict(), ensure_ascii=False) + "\n")
        except (OSError, UnicodeError):
            return None
        return path

    def reconcile(self) -> Mapping[str, Any] | None:
        engine = self.profile.engine
        scan = self.outcome.scan
        if engine is None or scan is None:
            return None
        from vminv.rhev.settings import EngineSettings

        settings = EngineSettings(
            url=engine.url, user=engine.user, password=self.secrets.engine_password or "",
            ca_file=engine.ca_file, insecure=engine.insecure, api_version=engine.api_version,
            timeout_s=engine.timeout_s,
        )
        stored = self.outcome.scan_id is not None
        if stored:
            from vminv.rhev.workflow import reconcile_stored_scan

            kinds = [f.kind for f in reconcile_stored_scan(
                self.db_path, settings, scan_id=self.outcome.scan_id, write_mode=engine.write).findings]
        else:  # the inventory refused the scan: compare in memory, store nothing
            from vminv.rhev.reconcile import reconcile
            from vminv.rhev.snapshot import read_engine

            kinds = [f.kind for f in reconcile(scan, read_engine(settings))]
        self.outcome.engine_kinds = kinds
        return {"findings": len(kinds), "stored": stored, "by_kind": dict(Counter(kinds))}

    def health(self) -> Mapping[str, Any] | None:
        """The report library's health findings of this scan (engine findings included)."""
        from vminv import report

        if self.outcome.scan_id is not None:
            thresholds = report.Thresholds(**self.profile.health.thresholds)  # type: ignore[arg-type]
            built = report.build_report(self.db_path, scan_id=self.outcome.scan_id, thresholds=thresholds,
                                        now=self.clock())
            self.outcome.report = built
            found = [(f.severity, f.check) for f in built.health]
        elif self.outcome.engine_kinds is not None:  # not stored: the engine's findings alone
            from vminv.report.health import ENGINE_SEVERITY

            found = [(ENGINE_SEVERITY[k], f"engine_{k}") for k in self.outcome.engine_kinds if k in ENGINE_SEVERITY]
        else:
            return None
        counts = Counter(found)
        self.outcome.finding_counts = counts
        fail_on = self.profile.health.fail_on
        if fail_on in SEVERITIES:
            limit = SEVERITIES.index(fail_on)
            self.outcome.failing_findings = sum(n for (sev, _), n in counts.items() if SEVERITIES.index(sev) <= limit)
        return {"findings": sum(counts.values()), "fail_on": fail_on,
                "at_or_above_fail_on": self.outcome.failing_findings,
                "by_severity": {s: sum(n for (sev, _), n in counts.items() if sev == s) for s in SEVERITIES}}

    def reports(self) -> Mapping[str, Any] | None:
        """Each format of ``[reports]`` at the path template ({date}, {scan}) plus its suffix."""
        reports = self.profile.reports
        if reports is None:
            return None
        if self.outcome.report is None:
            raise VminvError("no report: the scan was not recorded or its health could not be read",
                             "see the failed step before this one")
        from vminv.report import write_report

        base = (reports.path.replace("{date}", self.clock().strftime("%Y-%m-%d"))
                .replace("{scan}", str(self.outcome.scan_id)))
        files: list[str] = []
        for fmt in reports.formats:
            target = Path(f"{base}-csv" if fmt == "csv" else f"{base}.{fmt}").expanduser()
            target.parent.mkdir(parents=True, exist_ok=True)
            if fmt == "csv":
                target.mkdir(exist_ok=True)
            files += [str(f) for f in write_report(self.outcome.report, fmt, target)]
        return {"files": files}

    def retention(self) -> Mapping[str, Any] | None:
        retention = self.profile.retention
        if retention is None:
            return None
        from vminv.inventory.retention import prune_scans

        report = prune_scans(self.db_path, retention.days, retention.scans, retention.vacuum, self.clock())
        return report.to_dict()

    def metrics(self) -> Mapping[str, Any] | None:
        path = self.profile.metrics_file
        if path is None:
            return None
        from vminv.runner.metrics import previous_last_success, render, write_atomically
        from vminv.runner.run_metrics import run_metrics

        # This step cannot fail itself before it writes: success means every earlier step did.
        succeeded = not self.outcome.failed_steps and self.outcome.scan is not None
        last_success = self.clock().timestamp() if succeeded else previous_last_success(path, self.profile.name)
        write_atomically(path, render(run_metrics(self.outcome, last_success)))
        return {"file": str(path)}


def run_profile(
    profile: Profile,
    db_path: Location,
    *,
    secrets: RunSecrets | None = None,
    log: LogSink | None = None,
    clock: Callable[[], datetime] | None = None,
    unrecorded_dir: Path | None = None,
) -> RunOutcome:
    """Run ``profile`` once against the inventory at ``db_path``.

    :param log: called with one JSON-able mapping as each step ends
    :param clock: the current time (for tests); default the clock, in UTC
    :param unrecorded_dir: where a scan a PostgreSQL inventory would not take is
        saved (a file inventory keeps it beside the file)
    :raises WriterBusyError: another writer holds the inventory (after ``profile.wait_s``)
    """
    now = clock or (lambda: datetime.now(UTC))
    runner = _Runner(profile, db_path, secrets or RunSecrets(), log, now, unrecorded_dir)
    started = time.monotonic()
    with writer_lock(db_path, profile.wait_s):
        for name in STEPS:
            if name == "metrics":
                runner.outcome.seconds = time.monotonic() - started
            runner.step(name, getattr(runner, name))
    runner.outcome.seconds = time.monotonic() - started
    return runner.outcome
