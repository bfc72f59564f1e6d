"""Errors of the engine client, all under :class:`vminv.errors.RhevError`.

Each carries a one-line message naming the engine URL or request that failed
and, where there is one, a hint saying what to do. None of them ever carries
the password.
"""

from __future__ import annotations

from vminv.errors import RhevError as RhevError


class RhevAuthError(RhevError):
    """The engine refused the credentials (401, 403, an SSO error)."""


class RhevTLSError(RhevError):
    """The engine's certificate could not be verified against the CA we trust."""


class RhevTimeoutError(RhevError):
    """The engine did not answer within the request timeout."""


class RhevConnectionError(RhevError):
    """The engine could not be reached (refused, reset, DNS) even after retries."""


class RhevHTTPError(RhevError):
    """The engine answered with an error status (a fault, a 5xx, a 404)."""

    def __init__(self, message: str, status: int, url: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.status = status
        self.url = url


class RhevProtocolError(RhevError):
    """The engine answered, but not with a document this client understands."""


class RhevForeignOriginError(RhevProtocolError):
    """The engine sent a link or redirect to another origin; it was not followed."""
