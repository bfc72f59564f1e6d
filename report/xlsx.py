"""The report as an RVTools-style workbook (XlsxWriter, constant memory).

Cells are typed by their column: numbers as numbers, dates as dates, and
every text with ``write_string``, so that a guest named ``=HYPERLINK(...)``
stays text (the workbook is also opened with ``strings_to_formulas`` off).
``constant_memory`` writes each row to disk as it is finished: rows must come
in order, which the tab generators do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from vminv.report.charts import HostBars, cpu_bars, guest_bars, memory_bars
from vminv.report.model import Report
from vminv.report.tabs import Column, Tab, report_tabs
from vminv.report.textout import summary_rows


def _datetime(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)  # Excel dates have no zone: UTC, said in the header
    return moment


class _Cells:
    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.header = workbook.add_format({"bold": True, "bg_color": "#DDE4EE", "bottom": 1})
        self.date = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.ratio = workbook.add_format({"num_format": "0.00"})
        self._dates: dict[str, datetime | None] = {}  # the same scan times recur on every row

    def write(self, sheet: Worksheet, row: int, col: int, column: Column, value: Any) -> None:
        self.writer(sheet, column)(row, col, value)

    def writer(self, sheet: Worksheet, column: Column) -> Callable[[int, int, Any], None]:
        """One column's cell writer, chosen once per column rather than once per cell."""
        kind = column.kind
        text = sheet.write_string

        def as_text(row: int, col: int, value: Any) -> None:
            # XlsxWriter cuts text at Excel's limit (32,767 characters) itself.
            if value is not None:
                text(row, col, value if type(value) is str else str(value))

        if kind == "bool":
            boolean = sheet.write_boolean

            def as_bool(row: int, col: int, value: Any) -> None:
                if isinstance(value, bool):
                    boolean(row, col, value)
                else:
                    as_text(row, col, value)

            return as_bool
        if kind in ("int", "float"):
            number = sheet.write_number
            style = self.ratio if "ratio" in column.key else None

            def as_number(row: int, col: int, value: Any) -> None:
                if isinstance(value, int | float) and not isinstance(value, bool):
                    number(row, col, value, style)
                else:
                    as_text(row, col, value)

            return as_number
        if kind == "datetime":
            stamp, dates, date_style = sheet.write_datetime, self._dates, self.date

            def as_date(row: int, col: int, value: Any) -> None:
                if value is None:
                    return
                moment = dates.get(value, _MISSING) if isinstance(value, str) else None
                if moment is _MISSING:
                    moment = dates[value] = _datetime(value)
                if moment is None:
                    as_text(row, col, value)
                else:
                    stamp(row, col, moment, date_style)

            return as_date
        return as_text


_MISSING: Any = object()


def _write_tab(workbook: xlsxwriter.Workbook, cells: _Cells, tab: Tab) -> int:
    sheet = workbook.add_worksheet(tab.name)
    for col, column in enumerate(tab.columns):
        sheet.set_column(col, col, column.width)
        header = f"{column.key} (UTC)" if column.kind == "datetime" else column.key
        sheet.write_string(0, col, header, cells.header)
    sheet.freeze_panes(1, 0)
    writers = list(enumerate(cells.writer(sheet, column) for column in tab.columns))
    row = 0
    for row, values in enumerate(tab.rows(), start=1):
        for col, write in writers:
            write(row, col, values[col])
    sheet.autofilter(0, 0, max(row, 1), len(tab.columns) - 1)
    return row


def _write_summary(workbook: xlsxwriter.Workbook, cells: _Cells, report: Report, scans_written: int) -> None:
    """vSummary: key/value lines, then the charts' data below them, the charts to the right."""
    sheet = workbook.add_worksheet("vSummary")
    sheet.set_column(0, 0, 20)
    sheet.set_column(1, 1, 24)
    sheet.set_column(2, 2, 40)
    for col, title in enumerate(("section", "key", "value")):
        sheet.write_string(0, col, title, cells.header)
    sheet.freeze_panes(1, 0)
    row = 0
    text = Column("value")
    for row, (section, key, value) in enumerate(summary_rows(report), start=1):
        sheet.write_string(row, 0, section)
        sheet.write_string(row, 1, key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            sheet.write_number(row, 2, value)
        else:
            cells.write(sheet, row, 2, text, value)
    row += 2
    anchor = 1
    for bars in (memory_bars(report), cpu_bars(report), guest_bars(report)):
        if not bars.hosts:
            continue
        first = row + 1
        sheet.write_string(row, 0, bars.title, cells.header)
        for col, name in enumerate(("capacity", "running", "defined"), start=1):
            sheet.write_string(row, col, name, cells.header)
        for index, host in enumerate(bars.hosts):
            row += 1
            sheet.write_string(row, 0, host)
            if bars.capacity:
                sheet.write_number(row, 1, bars.capacity[index])
            sheet.write_number(row, 2, bars.running[index])
            sheet.write_number(row, 3, bars.defined[index])
        sheet.insert_chart(anchor, 4, _bar_chart(workbook, bars, first, row))
        anchor += 22
        row += 2
    if scans_written:
        chart = workbook.add_chart({"type": "line"})
        chart.add_series({
            "name": "guests",
            "categories": ["vScans", 1, 0, scans_written, 0],
            "values": ["vScans", 1, 4, scans_written, 4],
        })
        chart.set_title({"name": "Fleet size per scan"})
        chart.set_x_axis({"name": "scan"})
        chart.set_legend({"none": True})
        sheet.insert_chart(anchor, 4, chart, {"x_scale": 1.5})


def _bar_chart(workbook: xlsxwriter.Workbook, bars: HostBars, first: int, last: int) -> Any:
    chart = workbook.add_chart({"type": "bar"})
    columns = [(1, "capacity")] if bars.capacity else []
    for col, name in [*columns, (2, "running"), (3, "defined")]:
        chart.add_series({
            "name": name,
            "categories": ["vSummary", first, 0, last, 0],
            "values": ["vSummary", first, col, last, col],
        })
    chart.set_title({"name": f"{bars.title} ({bars.unit})"})
    chart.set_y_axis({"reverse": True})
    chart.set_size({"width": 720, "height": max(300, 18 * len(bars.hosts) + 80)})
    return chart


def write_xlsx(report: Report, path: Path) -> None:
    """Write the workbook to ``path`` (replaced if it exists)."""
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    workbook.set_properties({"title": f"vminv report, scan {report.summary.scan.id}", "comments": "made by vminv"})
    cells = _Cells(workbook)
    # vSummary comes first; its fleet chart refers to vScans, written later (a chart is only a reference).
    _write_summary(workbook, cells, report, len(report.scans))
    for tab in report_tabs(report):
        _write_tab(workbook, cells, tab)
    workbook.close()
