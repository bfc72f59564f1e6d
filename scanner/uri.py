"""libvirt URIs: built from a template per host, every part of the user's URI kept."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from vminv.errors import UsageError

DEFAULT_URI_TEMPLATE = "qemu+ssh://root@{host}/system?no_tty=1"


def build_uri(template: str, host: str) -> str:
    """Replace ``{host}`` in ``template``; a template without it is used as is."""
    if not template:
        raise UsageError("empty libvirt URI template", f"use e.g. {DEFAULT_URI_TEMPLATE}")
    uri = template.replace("{host}", host)
    split = urlsplit(uri)
    if not split.scheme:
        raise UsageError(f"libvirt URI {uri!r} has no scheme", f"use e.g. {DEFAULT_URI_TEMPLATE}")
    return uri


@dataclass(frozen=True)
class UriParts:
    scheme: str  # e.g. qemu+ssh
    driver: str  # qemu
    transport: str | None  # ssh, libssh, libssh2, tls, tcp, unix; None = local
    user: str | None
    host: str | None
    port: int | None
    path: str  # /system, /ABS/node.xml
    params: tuple[tuple[str, str], ...]

    def param(self, name: str) -> str | None:
        for key, value in self.params:
            if key == name:
                return value
        return None

    @property
    def local_uri(self) -> str:
        """The URI as the far side's own virsh would open it: qemu:///system."""
        return f"{self.driver}://{self.path or '/'}"


def split_uri(uri: str) -> UriParts:
    split = urlsplit(uri)
    driver, _, transport = split.scheme.partition("+")
    try:
        port = split.port
    except ValueError:
        raise UsageError(f"libvirt URI {uri!r} has a bad port") from None
    return UriParts(
        scheme=split.scheme,
        driver=driver,
        transport=transport or None,
        user=split.username,
        host=split.hostname,
        port=port,
        path=split.path,
        params=tuple(parse_qsl(split.query, keep_blank_values=True)),
    )


def with_params(uri: str, **overrides: str) -> str:
    """Return ``uri`` with query parameters set, all others kept in order."""
    split = urlsplit(uri)
    params = [(k, v) for k, v in parse_qsl(split.query, keep_blank_values=True) if k not in overrides]
    params.extend(overrides.items())
    query = urlencode(params, quote_via=quote, safe="/:,")
    return urlunsplit((split.scheme, split.netloc, split.path, query, split.fragment))
