"""What a write did, per guest: renderable as plain lines and as JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

MODE_FLAGS = {"w": "-w", "u": "-u", "n": "-n"}


class WriteEntry(NamedTuple):
    """One guest's outcome. ``action``: new, update, skip, conflict, gone or moved."""

    node: str
    host: str
    action: str
    reason: str

    def line(self) -> str:
        return f"{self.node} on {self.host}: {self.action}: {self.reason}"

    def to_dict(self) -> dict[str, str]:
        return {"node": self.node, "host": self.host, "action": self.action, "reason": self.reason}


@dataclass(frozen=True)
class WriteReport:
    """The outcome of :func:`inventory.record_scan` (or of an engine write).

    ``written`` are new guests put into the node tables, ``updated`` the
    existing ones in which a column changed (the reason says which), and
    ``unchanged`` counts the existing ones that already matched the scan;
    ``skipped`` and ``conflicts`` were left alone with a reason each,
    ``gone`` disappeared from a host that answered, ``moved`` appeared on
    another host in the same scan.
    """

    scan_id: int | None
    mode: str | None
    written: tuple[WriteEntry, ...] = ()
    updated: tuple[WriteEntry, ...] = ()
    skipped: tuple[WriteEntry, ...] = ()
    conflicts: tuple[WriteEntry, ...] = ()
    gone: tuple[WriteEntry, ...] = ()
    moved: tuple[WriteEntry, ...] = ()
    unchanged: int = 0

    @property
    def has_conflicts(self) -> bool:
        return bool(self.conflicts)

    def counts(self) -> dict[str, int]:
        return {
            "written": len(self.written),
            "updated": len(self.updated),
            "unchanged": self.unchanged,
            "skipped": len(self.skipped),
            "conflicts": len(self.conflicts),
            "gone": len(self.gone),
            "moved": len(self.moved),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "scan_id": self.scan_id,
            "mode": self.mode,
            "counts": self.counts(),
            "written": [e.to_dict() for e in self.written],
            "updated": [e.to_dict() for e in self.updated],
            "skipped": [e.to_dict() for e in self.skipped],
            "conflicts": [e.to_dict() for e in self.conflicts],
            "gone": [e.to_dict() for e in self.gone],
            "moved": [e.to_dict() for e in self.moved],
        }

    def lines(self) -> list[str]:
        return format_write_report(self)


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def format_write_report(report: WriteReport) -> list[str]:
    """One line per skipped, conflicting, gone or moved guest, then a summary line.

    New, updated and unchanged guests are only counted: a scan of thousands
    of guests would otherwise bury the lines that need a reader.
    """
    lines = [entry.line() for entry in report.skipped]
    lines += [entry.line() for entry in report.conflicts]
    lines += [entry.line() for entry in report.moved]
    lines += [entry.line() for entry in report.gone]
    subject = f"scan {report.scan_id}" if report.scan_id is not None else "engine data"
    if report.mode is None:
        summary = (
            f"{subject} recorded without a write flag (node tables unchanged): "
            f"{_plural(len(report.conflicts), 'conflict')}, {len(report.moved)} moved, {len(report.gone)} gone"
        )
    else:
        flag = MODE_FLAGS.get(report.mode, report.mode)
        summary = (
            f"{subject} written ({flag}): {len(report.written)} new, "
            f"{len(report.updated)} updated, {report.unchanged} unchanged, {len(report.skipped)} skipped, "
            f"{_plural(len(report.conflicts), 'conflict')}, {len(report.moved)} moved, {len(report.gone)} gone"
        )
    lines.append(summary)
    return lines
