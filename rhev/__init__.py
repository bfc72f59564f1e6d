"""RHEV-M / oVirt engine client (REST API v3 and v4) and reconciliation with a scan.

Library only: explicit arguments, no argv/env/config reading, no printing
(progress goes through an optional callback). The password is an argument.

The pure parts (model, matching, reconciliation) are imported here; the parts
that talk HTTP resolve on first use, so that importing a pure module never
loads the HTTP client (importing a submodule runs this ``__init__`` first).
"""

from typing import TYPE_CHECKING

from vminv._lazy import lazy_exports
from vminv.rhev.attributes import EngineAttributes, engine_attributes
from vminv.rhev.errors import (
    RhevAuthError,
    RhevConnectionError,
    RhevForeignOriginError,
    RhevHTTPError,
    RhevProtocolError,
    RhevTimeoutError,
    RhevTLSError,
)
from vminv.rhev.model import EngineSnapshot
from vminv.rhev.reconcile import KINDS, Finding, reconcile, summarize
from vminv.rhev.settings import EngineSettings

if TYPE_CHECKING:
    from vminv.rhev.ca import EngineCA, fetch_ca, fingerprint_sha256, save_ca
    from vminv.rhev.lsve import LsveObject, build_lsve, format_lsve, list_engine_objects
    from vminv.rhev.snapshot import read_engine
    from vminv.rhev.workflow import ReconcileReport, reconcile_stored_scan

# Names that must never equal a submodule's name: the import system sets the
# package attribute to the submodule when it loads it, hiding a lazy name.
_EXPORTS = {
    "EngineCA": "vminv.rhev.ca",
    "fetch_ca": "vminv.rhev.ca",
    "fingerprint_sha256": "vminv.rhev.ca",
    "save_ca": "vminv.rhev.ca",
    "LsveObject": "vminv.rhev.lsve",
    "build_lsve": "vminv.rhev.lsve",
    "format_lsve": "vminv.rhev.lsve",
    "list_engine_objects": "vminv.rhev.lsve",
    "read_engine": "vminv.rhev.snapshot",
    "ReconcileReport": "vminv.rhev.workflow",
    "reconcile_stored_scan": "vminv.rhev.workflow",
}
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
    "RhevForeignOriginError",
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

__getattr__ = lazy_exports(__name__, _EXPORTS)
