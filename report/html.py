"""The report as one self-contained HTML file: Jinja2 templates with autoescaping, inline CSS and JS.

Big tables travel as JSON inside ``<script type="application/json">`` and are
paged, sorted and filtered by the inline script, which only ever sets
``textContent``: hostile guest names are text, never markup. The JSON is made
safe for a script element the way Jinja's ``tojson`` does it (``<``, ``>``,
``&``, ``'`` as ``\\u`` escapes), but with orjson, since 100,000 guests make a
document of tens of megabytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

import jinja2
import orjson
from markupsafe import Markup

from vminv.report.charts import bar_chart_svg, cpu_bars, fleet_chart_svg, guest_bars, memory_bars
from vminv.report.health import SEVERITIES
from vminv.report.model import Report
from vminv.report.tabs import Tab, report_tabs

PAGE_ROWS = 100

# A JSON text inside <script> ends at the first "</script"; U+2028/2029 end a
# JavaScript line in older engines. Escaped, the JSON value is unchanged.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "'": "\\u0027",
                              "\u2028": "\\u2028", "\u2029": "\\u2029"})


def script_json(value: Any) -> Markup:
    """``value`` as JSON that can sit inside a ``<script type="application/json">`` element as is."""
    return Markup(orjson.dumps(value).decode("utf-8").translate(_SCRIPT_SAFE))


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("vminv.report", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "j2"), default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def table_data(tab: Tab) -> Markup:
    """A tab's columns, kinds and rows for the inline script."""
    return script_json({
        "columns": tab.headers,
        "kinds": [c.kind for c in tab.columns],
        "rows": _rows(tab.rows()),
    })


def _rows(rows: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return list(rows)


def render_html(report: Report, out: TextIO) -> None:
    """Write the report's HTML to ``out``, streamed section by section."""
    template = _environment().get_template("report.html.j2")
    tabs = {tab.key: tab for tab in report_tabs(report)}
    charts = [bar_chart_svg(b) for b in (memory_bars(report), cpu_bars(report), guest_bars(report)) if b.hosts]
    context = {
        "report": report,
        "s": report.summary,
        "tabs": tabs,
        "table_data": table_data,
        "charts": charts,
        "fleet": fleet_chart_svg(report) if report.scans else None,
        "severities": SEVERITIES,
        "page_rows": PAGE_ROWS,
        "mib": lambda kib: f"{kib / 1024:,.0f}",
        "gib": lambda kib: f"{kib / 1024 / 1024:,.1f}",
    }
    for chunk in template.generate(**context):
        out.write(chunk)


def write_html(report: Report, path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        render_html(report, out)
