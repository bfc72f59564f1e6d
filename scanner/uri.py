"""libvirt URIs: built from a template per host, every part of the user's URI kept."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

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
    split_uri(uri)  # a bad port is the template's fault: say so once, not as every host's failure
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
        raise UsageError(f"libvirt URI {uri!r} has a bad port", "give a port number from 1 to 65535") from None
    return UriParts(
        scheme=split.scheme,
        driver=driver,
        transport=transport or None,
        user=split.username,
        host=split.hostname,
        port=port,
        path=split.path,
        params=tuple(_decode(segment) for segment in _segments(split.query)),
    )


# libvirt decodes %XX in query parameters but keeps '+' as is (it is not a form);
# urllib's parse_qsl would turn keyfile=/k/id+scan into "/k/id scan".
def _segments(query: str) -> list[str]:
    return [segment for segment in query.split("&") if segment]


def _decode(segment: str) -> tuple[str, str]:
    name, _, value = segment.partition("=")
    return unquote(name), unquote(value)


def with_params(uri: str, **overrides: str) -> str:
    """Return ``uri`` with query parameters set, all others kept in order."""
    split = urlsplit(uri)
    # The user's parameters are kept exactly as written; only ours are encoded here.
    kept = [segment for segment in _segments(split.query) if _decode(segment)[0] not in overrides]
    kept.extend(f"{quote(name, safe='')}={quote(value, safe='/:,')}" for name, value in overrides.items())
    query = "&".join(kept)
    return urlunsplit((split.scheme, split.netloc, split.path, query, split.fragment))
