"""What the charts show, and the geometry of the HTML's inline SVG charts (pure).

The same selection feeds the workbook's native charts: the hosts most
allocated against their capacity (a chart of 1,000 hosts is unreadable, so
only the top ``limit``), guests per host, and the fleet's size per scan.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from vminv.report.model import HostCapacity, Report

CHART_HOSTS = 30  # hosts per chart
GIB = 1024 * 1024  # KiB


@dataclass(frozen=True)
class HostBars:
    """One chart's data: per host, a capacity and two allocations (running, all defined guests)."""

    title: str
    unit: str
    hosts: tuple[str, ...]
    capacity: tuple[float, ...]
    running: tuple[float, ...]
    defined: tuple[float, ...]
    total_hosts: int


def _top(capacity: Sequence[HostCapacity], key: Callable[[HostCapacity], float], limit: int) -> list[HostCapacity]:
    return sorted(capacity, key=lambda c: -key(c))[:limit]


def memory_bars(report: Report, limit: int = CHART_HOSTS) -> HostBars:
    rows = _top(report.capacity, lambda c: c.memory_ratio_running or 0.0, limit)
    return HostBars(
        "Memory: capacity against running and defined guests", "GiB",
        tuple(c.host for c in rows),
        tuple(round((c.memory_kib or 0) / GIB, 2) for c in rows),
        tuple(round(c.memory_running_kib / GIB, 2) for c in rows),
        tuple(round(c.memory_defined_kib / GIB, 2) for c in rows),
        len(report.capacity),
    )


def cpu_bars(report: Report, limit: int = CHART_HOSTS) -> HostBars:
    rows = _top(report.capacity, lambda c: c.cpu_ratio_running or 0.0, limit)
    return HostBars(
        "vCPUs: host CPUs against running and defined guests", "CPUs",
        tuple(c.host for c in rows),
        tuple(float(c.cpus or 0) for c in rows),
        tuple(float(c.vcpus_running) for c in rows),
        tuple(float(c.vcpus_defined) for c in rows),
        len(report.capacity),
    )


def guest_bars(report: Report, limit: int = CHART_HOSTS) -> HostBars:
    rows = _top(report.capacity, lambda c: float(c.guests), limit)
    return HostBars(
        "Guests per host (running, all defined)", "guests",
        tuple(c.host for c in rows),
        (),
        tuple(float(c.running) for c in rows),
        tuple(float(c.guests) for c in rows),
        len(report.capacity),
    )


# ---------------------------------------------------------------------------------------------
# SVG geometry: numbers only; the template draws them (and escapes every label).


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str  # capacity | running | defined
    label: str  # tooltip text


@dataclass(frozen=True)
class BarRow:
    label: str
    y: float
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class BarChartSvg:
    title: str
    width: float
    height: float
    rows: tuple[BarRow, ...]
    ticks: tuple[Tick, ...]
    note: str
    legend: tuple[tuple[str, str], ...]  # (css, text)


LABEL_W = 150.0
PLOT_W = 480.0
ROW_H = 16.0
TOP = 24.0


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10.0 ** len(str(int(value))) / 10
    for factor in (1, 2, 2.5, 5, 10):
        if value <= step * factor:
            return step * factor
    return value


def _fmt(value: float) -> str:
    return f"{value:g}" if value < 1e6 else f"{value:.3g}"


def bar_chart_svg(data: HostBars) -> BarChartSvg:
    """Horizontal bars: the capacity as an outline, running and defined allocations as filled bars."""
    peak = _nice_max(max([*data.capacity, *data.running, *data.defined, 0.0]))
    scale = PLOT_W / peak
    rows = []
    for index, host in enumerate(data.hosts):
        y = TOP + index * ROW_H
        bars = [
            Bar(LABEL_W, y + 2, data.defined[index] * scale, ROW_H - 4, "defined",
                f"{host}: {_fmt(data.defined[index])} {data.unit} defined"),
            Bar(LABEL_W, y + 4, data.running[index] * scale, ROW_H - 8, "running",
                f"{host}: {_fmt(data.running[index])} {data.unit} running"),
        ]
        if data.capacity:
            bars.append(Bar(LABEL_W, y + 1, data.capacity[index] * scale, ROW_H - 2, "capacity",
                            f"{host}: {_fmt(data.capacity[index])} {data.unit} capacity"))
        rows.append(BarRow(host, y + ROW_H - 4, tuple(bars)))
    ticks = tuple(Tick(LABEL_W + PLOT_W * i / 4, _fmt(peak * i / 4)) for i in range(5))
    shown = len(data.hosts)
    note = f"the {shown} of {data.total_hosts} hosts most allocated" if shown < data.total_hosts else ""
    legend: tuple[tuple[str, str], ...] = (("running", "running guests"), ("defined", "all defined guests"))
    if data.capacity:
        legend = (("capacity", "host capacity"), *legend)
    return BarChartSvg(
        f"{data.title} ({data.unit})", LABEL_W + PLOT_W + 20, TOP + ROW_H * max(shown, 1) + 24,
        tuple(rows), ticks, note, legend,
    )


@dataclass(frozen=True)
class LineChartSvg:
    title: str
    width: float
    height: float
    points: str  # SVG polyline points
    dots: tuple[tuple[float, float, str], ...]
    y_ticks: tuple[tuple[float, str], ...]
    x_labels: tuple[tuple[float, str], ...]


def fleet_chart_svg(report: Report, width: float = 640.0, height: float = 220.0) -> LineChartSvg:
    """Guests per scan, oldest to newest."""
    scans = report.scans
    left, right, top, bottom = 60.0, 20.0, 24.0, 40.0
    peak = _nice_max(max((s.guests_total for s in scans), default=0))
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(scans) - 1, 1)
    dots = []
    for index, scan in enumerate(scans):
        x = left + index * step if len(scans) > 1 else left + plot_w / 2
        y = top + plot_h - scan.guests_total / peak * plot_h
        dots.append((round(x, 1), round(y, 1), f"scan {scan.id} ({scan.started[:10]}): {scan.guests_total} guests"))
    every = max(1, len(scans) // 8)
    x_labels = tuple((x, f"#{s.id}") for (x, _, _), s in list(zip(dots, scans))[::every])
    y_ticks = tuple((top + plot_h - plot_h * i / 4, _fmt(peak * i / 4)) for i in range(5))
    return LineChartSvg(
        "Fleet size per scan (guests)", width, height, " ".join(f"{x},{y}" for x, y, _ in dots), tuple(dots),
        y_ticks, x_labels,
    )
