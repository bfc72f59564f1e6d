"""How to reach one engine: built by the CLI, passed explicitly to the library."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from vminv.errors import UsageError
from vminv.limits import check_seconds

DEFAULT_USER = "admin@internal"


def _without_userinfo(url: str) -> str:
    """``https://user:pw@host`` -> ``https://...@host``."""
    return re.sub(r"^([A-Za-z][\w+.-]*://)[^/?#]*@", r"\1...@", url)


@dataclass(frozen=True)
class EngineSettings:
    """Connection settings. The password is never part of ``repr`` or any message."""

    url: str  # https://HOST[:PORT], optionally with /ovirt-engine/api or /api
    user: str = DEFAULT_USER
    password: str = field(default="", repr=False)
    ca_file: Path | None = None  # None: the system trust store
    insecure: bool = False  # skip TLS verification (only when asked for)
    api_version: int | None = None  # None: detect from the entry document
    timeout_s: float = 30.0  # per request (connect and each read)
    retries: int = 3  # for resets and 502/503/504
    backoff_s: float = 0.5  # first retry delay, doubled each time
    page_size: int = 500  # `max` per page

    def __post_init__(self) -> None:
        usable = "give it as https://HOST[:PORT] (e.g. https://rhevm.example.com)"
        shown = _without_userinfo(self.url)  # a password in the URL is never repeated
        try:
            parts = urlsplit(self.url)
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number or out of range
        except ValueError:
            raise UsageError(f"engine URL {shown!r} is not usable", usable) from None
        if (parts.scheme not in ("https", "http") or not parts.hostname
                or any(c.isspace() for c in self.url) or parts.query or parts.fragment):
            raise UsageError(f"engine URL {shown!r} is not usable", usable)
        if parts.username is not None or parts.password is not None:
            # A password there would be in argv, in messages and in the stored engine URL.
            raise UsageError(
                f"engine URL {shown!r} carries a user name or password",
                "give the user with --user and the password with --password-file or $VMINV_RHEVM_PASSWORD",
            )
        if ":" not in parts.hostname:  # IPv6 literals have no labels to check
            try:
                parts.hostname.encode("idna")  # empty or over-long labels ("a..b")
            except UnicodeError:
                raise UsageError(f"engine URL {shown!r} has an invalid host name", usable) from None
        if parts.scheme == "http" and not self.insecure:
            # Basic authentication and the SSO form would carry the password in clear text.
            raise UsageError(
                f"engine URL {shown!r} is plain HTTP: the password would cross the network unencrypted",
                "use https://, or add --insecure if you really mean it",
            )
        if "@" not in self.user:
            raise UsageError(
                f"engine user {self.user!r} has no profile", "give it as user@profile, e.g. admin@internal"
            )
        if self.api_version not in (None, 3, 4):
            raise UsageError(f"API version {self.api_version} is not supported", "use 3 or 4")
        check_seconds(self.timeout_s, "the engine timeout")
        check_seconds(self.backoff_s, "the retry delay", zero_ok=True)
        if self.page_size < 1 or self.retries < 0:
            raise UsageError("page size and retries must be positive")

    @property
    def origin(self) -> str:
        """``scheme://host:port``: every href the engine sends is resolved against it."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def path_hint(self) -> str | None:
        """The API path when the URL names one (``/ovirt-engine/api`` or ``/api``)."""
        path = urlsplit(self.url).path.rstrip("/")
        if path.endswith("/v4") or path.endswith("/v3"):
            path = path[:-3]
        return path or None

    @property
    def url_api_version(self) -> int | None:
        """3 or 4 when the URL ends in ``/v3`` or ``/v4`` (the 4.0-4.3 version prefixes)."""
        path = urlsplit(self.url).path.rstrip("/")
        return int(path[-1]) if path.endswith(("/v3", "/v4")) else None

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""
