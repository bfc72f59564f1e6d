"""RHEV-M / oVirt engine client (REST API v3 and v4) and reconciliation with a scan.

Library only: explicit arguments, no argv/env/config reading, no printing
(progress goes through an optional callback). The password is an argument.
"""

from vminv.rhev.attributes import EngineAttributes, engine_attributes
from vminv.rhev.ca import EngineCA, fetch_ca, fingerprint_sha256, save_ca
from vminv.rhev.errors import (
    RhevAuthError,
    RhevConnectionError,
    RhevHTTPError,
    RhevProtocolError,
    RhevTimeoutError,
    RhevTLSError,
)
from vminv.rhev.lsve import LsveObject, build_lsve, format_lsve, list_engine_objects
from vminv.rhev.reconcile import KINDS, Finding, reconcile, summarize
from vminv.rhev.settings import EngineSettings
from vminv.rhev.snapshot import EngineSnapshot, read_engine
from vminv.rhev.workflow import ReconcileReport, reconcile_stored_scan

__all__ = [
    "KINDS",
    "EngineAttributes",
    "EngineCA",
    "EngineSettings",
    "EngineSnapshot",
    "Finding",
    "LsveObject",
    "ReconcileReport",
    "RhevAuthError",
    "RhevConnectionError",
    "RhevHTTPError",
    "RhevProtocolError",
    "RhevTLSError",
    "RhevTimeoutError",
    "build_lsve",
    "engine_attributes",
    "fetch_ca",
    "fingerprint_sha256",
    "format_lsve",
    "list_engine_objects",
    "read_engine",
    "reconcile",
    "reconcile_stored_scan",
    "save_ca",
    "summarize",
]
