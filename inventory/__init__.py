"""The node database: an xCAT-compatible SQLite inventory with scan history and audits.

Every function takes the database file as an explicit :class:`pathlib.Path`.
Writers create the file with its schema on first use; readers never create it.
"""

from vminv.inventory.copy import CopyReport, TableCopy, copy_inventory
from vminv.inventory.diff import DiffEntry, ScanDiff, diff_scans
from vminv.inventory.engine import apply_engine_attributes
from vminv.inventory.engine_ips import store_engine_ips
from vminv.inventory.errors import DatabaseMissingError, SchemaVersionError, UnknownNodeError, UnknownScanError
from vminv.inventory.export import NodeDefinition, export_nodes
from vminv.inventory.findings import store_findings
from vminv.inventory.history import GuestHistory, HistoryEvent, guest_history
from vminv.inventory.location import Location, PostgresLocation, parse_location
from vminv.inventory.lock import writer_lock
from vminv.inventory.move import NodeMove, move_node
from vminv.inventory.noderange_tables import resolve_noderange
from vminv.inventory.plan import PlannedGuest, WritePlan, plan_writes
from vminv.inventory.prune import PrunedGuest, prune
from vminv.inventory.queries import (
    GuestRow,
    HostCoverage,
    HostRow,
    ScanSummary,
    host_transports,
    host_uris,
    known_nodes,
    list_guests,
    list_hosts,
    list_scans,
    load_groups,
    load_scan,
    scan_coverage,
    set_host_uri,
)
from vminv.inventory.report import WriteEntry, WriteReport, format_write_report
from vminv.inventory.schema import SCHEMA_VERSION
from vminv.inventory.stanza import nodes_to_stanza, render_stanza, to_stanza
from vminv.inventory.store import record_scan

__all__ = [
    "SCHEMA_VERSION",
    "CopyReport",
    "DatabaseMissingError",
    "DiffEntry",
    "GuestHistory",
    "GuestRow",
    "HistoryEvent",
    "HostCoverage",
    "HostRow",
    "Location",
    "NodeDefinition",
    "NodeMove",
    "PlannedGuest",
    "PostgresLocation",
    "PrunedGuest",
    "ScanDiff",
    "ScanSummary",
    "SchemaVersionError",
    "TableCopy",
    "UnknownNodeError",
    "UnknownScanError",
    "WriteEntry",
    "WritePlan",
    "WriteReport",
    "apply_engine_attributes",
    "copy_inventory",
    "diff_scans",
    "export_nodes",
    "format_write_report",
    "guest_history",
    "host_transports",
    "host_uris",
    "known_nodes",
    "list_guests",
    "list_hosts",
    "list_scans",
    "load_groups",
    "load_scan",
    "move_node",
    "nodes_to_stanza",
    "parse_location",
    "plan_writes",
    "prune",
    "record_scan",
    "render_stanza",
    "resolve_noderange",
    "scan_coverage",
    "set_host_uri",
    "store_engine_ips",
    "store_findings",
    "to_stanza",
    "writer_lock",
]
