"""The one exception hierarchy shared by ``scanner``, ``inventory`` and ``rhev``.

Every error the tool raises on purpose derives from :class:`VminvError`. Its
message is one line that names what is wrong; ``hint`` says what to do about
it. Only the CLI turns these into exit codes (see ``vminv.cli.common``).
"""

from __future__ import annotations


class VminvError(Exception):
    """Base of every error this project raises deliberately."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}; {self.hint}"
        return self.message


class UsageError(VminvError):
    """The user's input (a noderange, an option, a path) cannot be used."""


class NodeRangeError(UsageError):
    """A noderange expression is malformed or names nothing known."""


class ScanError(VminvError):
    """A problem scanning one host. ``error_class`` is one of ERROR_CLASSES."""

    error_class = "libvirt"


class UnreachableError(ScanError):
    error_class = "unreachable"


class AuthError(ScanError):
    error_class = "auth"


class HostKeyError(ScanError):
    error_class = "host_key"


class ScanTimeoutError(ScanError):
    error_class = "timeout"


class LibvirtError(ScanError):
    error_class = "libvirt"


ERROR_CLASSES = ("unreachable", "auth", "host_key", "timeout", "libvirt")


class DomainXMLError(VminvError):
    """One domain's XML could not be parsed; the rest of the host goes on."""


class ReplayError(UsageError):
    """A replay folder is missing or not laid out as ``DIR/HOST/*.xml``."""


class InventoryError(VminvError):
    """The node database cannot be opened, migrated or written."""


class RhevError(VminvError):
    """Talking to a RHEV-M / oVirt engine failed."""
