"""The Prometheus text exposition format, written atomically for node_exporter's textfile collector.

The collector reads ``*.prom`` files whenever it is scraped; a file written
in place could be read half-written. So the text goes to a temporary file in
the same directory (same file system) and is renamed over the old one.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from vminv.errors import UsageError

LAST_SUCCESS = "vminv_last_success_timestamp_seconds"


@dataclass(frozen=True)
class Metric:
    name: str
    help: str
    type: str  # gauge | counter
    samples: Sequence[tuple[Mapping[str, str], float]] = field(default_factory=tuple)


def _escape_label(value: str) -> str:
    # The exposition format escapes exactly these three in label values.
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _number(value: float) -> str:
    if value != value:  # NaN
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    return repr(int(value)) if float(value).is_integer() and abs(value) < 2**53 else repr(float(value))


def render(metrics: Iterable[Metric]) -> str:
    """The text format: ``# HELP``, ``# TYPE`` and one line per sample, for every metric."""
    lines: list[str] = []
    for metric in metrics:
        lines.append(f"# HELP {metric.name} {_escape_help(metric.help)}")
        lines.append(f"# TYPE {metric.name} {metric.type}")
        for labels, value in metric.samples:
            label_text = ",".join(f'{key}="{_escape_label(v)}"' for key, v in sorted(labels.items()))
            lines.append(f"{metric.name}{{{label_text}}} {_number(value)}" if label_text else f"{metric.name} {_number(value)}")
    return "\n".join(lines) + "\n"


def previous_last_success(path: Path, profile: str) -> float | None:
    """The last-success time the previous run wrote for ``profile``, to carry over a failed run."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    pattern = re.compile(rf'^{LAST_SUCCESS}\{{profile="{re.escape(_escape_label(profile))}"\}} (\S+)$', re.M)
    match = pattern.search(text)
    try:
        return float(match.group(1)) if match else None
    except ValueError:
        return None


def write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one rename; readers see the old file or the new one.

    :raises UsageError: the directory does not exist or cannot be written
    """
    directory = path.parent
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise UsageError(f"cannot write metrics file {path}: {exc.strerror}", "create its directory or fix its permissions") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)  # the collector often runs as another user
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise
