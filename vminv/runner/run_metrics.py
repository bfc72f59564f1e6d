"""What ``vminv run`` exports to Prometheus (pure): one profile label on every sample."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from vminv.errors import ERROR_CLASSES
from vminv.runner.config import SEVERITIES
from vminv.runner.metrics import LAST_SUCCESS, Metric

if TYPE_CHECKING:
    from vminv.runner.run import RunOutcome

STATES = ("running", "blocked", "paused", "shutdown", "shutoff", "crashed", "pmsuspended", "nostate")


def run_metrics(outcome: RunOutcome, last_success: float | None) -> list[Metric]:
    """The run's metrics; ``last_success`` is this run's end, or the previous success when it failed."""
    profile = {"profile": outcome.profile}
    scan = outcome.scan
    metrics = [
        Metric("vminv_run_duration_seconds", "Seconds the whole run took (up to the metrics step).", "gauge",
               [(profile, round(outcome.seconds, 3))]),
        Metric("vminv_run_step_failed", "1 when the step failed in the last run, else 0.", "gauge",
               [({**profile, "step": s.step}, 1 if s.status == "failed" else 0) for s in outcome.steps]),
    ]
    if scan is not None:
        failed = Counter(h.error_class or "other" for h in scan.failed_hosts)
        states = Counter(g.state for g in scan.guests)
        duration = next((s.seconds for s in outcome.steps if s.step == "scan"), 0.0)
        metrics += [
            Metric("vminv_scan_duration_seconds", "Seconds the scan of all hosts took.", "gauge",
                   [(profile, round(duration, 3))]),
            Metric("vminv_hosts", "Hosts of the last scan by status.", "gauge",
                   [({**profile, "status": "ok"}, len(scan.hosts) - len(scan.failed_hosts)),
                    ({**profile, "status": "failed"}, len(scan.failed_hosts))]),
            Metric("vminv_hosts_failed", "Hosts that failed in the last scan, by error class.", "gauge",
                   [({**profile, "error_class": c}, failed.get(c, 0)) for c in (*ERROR_CLASSES, *sorted(set(failed) - set(ERROR_CLASSES)))]),
            Metric("vminv_guests", "Guests found by the last scan, by libvirt state.", "gauge",
                   [({**profile, "state": s}, states.get(s, 0)) for s in (*STATES, *sorted(set(states) - set(STATES)))]),
        ]
    if outcome.write is not None:
        counts = outcome.write.counts()
        metrics += [
            Metric("vminv_conflicts", "Guests left alone as conflicts by the last write.", "gauge",
                   [(profile, counts["conflicts"])]),
            Metric("vminv_written_guests", "What the last write did, by outcome.", "gauge",
                   [({**profile, "outcome": k}, v) for k, v in counts.items() if k != "conflicts"]),
        ]
    if any(s.step == "health" and s.status == "ok" for s in outcome.steps):
        metrics.append(Metric(
            "vminv_findings", "Health findings of the last run (engine findings included), by severity and kind.",
            "gauge",
            [({**profile, "severity": sev, "kind": kind}, n) for (sev, kind), n in sorted(
                outcome.finding_counts.items(), key=lambda item: (SEVERITIES.index(item[0][0]), item[0][1]))]))
    if last_success is not None:
        metrics.append(Metric(LAST_SUCCESS, "Unix time of the end of the last run in which every step succeeded.",
                              "gauge", [(profile, round(last_success, 3))]))
    return metrics

