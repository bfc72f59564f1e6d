"""RHEV-M / oVirt engine client (REST API v3 and v4) and reconciliation with a scan.

Library only: explicit arguments, no argv/env/config reading, no printing
(progress goes through an optional callback). The password is an argument.
"""

from rhev.attributes import EngineAttributes, engine_attributes
from rhev.ca import EngineCA, fetch_ca, fingerprint_sha256, save_ca
from rhev.errors import (
    RhevAuthError,
    RhevConnectionError,
    RhevHTTPError,
    RhevProtocolError,
    RhevTimeoutError,
    RhevTLSError,
)
from rhev.lsve import LsveObject, build_lsve, format_lsve, list_engine_objects
from rhev.reconcile import KINDS, Finding, reconcile, summarize
from rhev.settings import EngineSettings
from rhev.snapshot import EngineSnapshot, read_engine
from rhev.workflow import ReconcileReport, reconcile_stored_scan

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
