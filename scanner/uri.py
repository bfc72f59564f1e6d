"""libvirt URIs: built from a template per host, every part of the user's URI kept.

Host names come from noderanges, but also from stored data (replay folder
names, ``vminv host`` rows, groups) that someone else may have chosen. Only a
name that is a URI host component by itself (a DNS name, an IPv4 address, an
IPv6 address) is put into ``{host}``, so that a name can never change the
URI's user, port, path or options.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import SplitResult, quote, unquote, urlsplit, urlunsplit

from vminv.errors import UnreachableError, UsageError

DEFAULT_URI_TEMPLATE = "qemu+ssh://root@{host}/system?no_tty=1"

# LDH labels (plus '_', which real host names carry); no empty label, so never
# "." or ".." in a path, and no leading '-', so never an ssh option.
_LABEL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,62}\Z")
HOST_RULE = "letters, digits, '-', '_' and dots (a DNS name or IPv4 address), or an IPv6 address"


class InvalidHostError(UnreachableError):
    """A host name that cannot go into a URI; the host fails, the scan goes on."""


def uri_host(host: str) -> str:
    """``host`` as it goes into ``{host}``: checked, an IPv6 address in brackets.

    :raises InvalidHostError: anything else (``:``, ``?``, ``&``, ``/``, ``@``,
        ``%``, brackets around a non-address, spaces, controls, non-ASCII).
    """
    address = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if ":" in address and "%" not in address:  # ipaddress accepts zone ids ("%eth0"); a URI would need "%25"
        try:
            return f"[{ipaddress.IPv6Address(address).compressed}]"
        except ValueError:
            pass  # zone ids ("%eth0") and anything else with a colon: not a host component
    elif address == host and len(host) <= 254 and all(
            _LABEL.match(label) for label in host.removesuffix(".").split(".")):  # "kvm1.example.com." is absolute
        return host
    raise InvalidHostError(
        f"host name {host!r} cannot go into a libvirt URI: it may hold only {HOST_RULE}",
        "give the host its own URI with `vminv host set-uri HOST URI`, or scan it under a valid name",
    )


def check_template(template: str) -> str:
    """The template itself is usable (scheme, port, IPv6 brackets): one error for the run, not one per host.

    :raises UsageError: empty, no scheme, malformed.
    """
    if not template:
        raise UsageError("empty libvirt URI template", f"use e.g. {DEFAULT_URI_TEMPLATE}")
    uri = template.replace("{host}", "host")
    if not _split(uri).scheme:
        raise UsageError(f"libvirt URI {template!r} has no scheme", f"use e.g. {DEFAULT_URI_TEMPLATE}")
    split_uri(uri)
    return template


def build_uri(template: str, host: str) -> str:
    """Replace ``{host}`` in ``template``; a template without it is used as is.

    :raises UsageError: the template is not usable (see :func:`check_template`).
    :raises InvalidHostError: ``host`` is not a valid host name (see :func:`uri_host`).
    """
    check_template(template)
    if "{host}" not in template:
        return template
    return template.replace("{host}", uri_host(host))


_AUTHORITY = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://)(?P<authority>[^/?#]*)")
URI_PASSWORD_WARNING = (
    "a password in a libvirt URI is ignored (libvirt's ssh transport cannot use one) "
    "and was removed: it is never stored, shown or passed on; "
    "use an ssh key, or --transport ssh with --password-file"
)


def _with_password_as(uri: str, replacement: str | None) -> str:
    """``uri`` with the password of ``user:password@`` replaced (``None``: removed with its ``:``)."""
    found = _AUTHORITY.match(uri)
    if found is None or "@" not in found["authority"]:
        return uri
    userinfo, _, hostport = found["authority"].rpartition("@")
    if ":" not in userinfo:
        return uri
    user = userinfo.partition(":")[0]
    if replacement is not None:
        return f"{found['head']}{user}:{replacement}@{hostport}{uri[found.end():]}"
    return f"{found['head']}{user + '@' if user else ''}{hostport}{uri[found.end():]}"


def uri_without_password(uri: str) -> str:
    """``uri`` with the password removed from ``user:password@``: the form stored, shown and opened.

    Never raises: it also cleans what a malformed or old stored URI holds.
    """
    return _with_password_as(uri, None)


def uri_password_masked(uri: str, mask: str = "********") -> str:
    """``uri`` with the password of ``user:password@`` shown as ``mask`` (a setting shown as written)."""
    return _with_password_as(uri, mask)


def has_password(uri: str) -> bool:
    return uri_without_password(uri) != uri


_URI_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S+")


def text_without_uri_passwords(text: str) -> str:
    """``text`` (an error line) with :func:`uri_without_password` applied to every URI in it."""
    return _URI_IN_TEXT.sub(lambda found: uri_without_password(found[0]), text)


def _split(uri: str) -> SplitResult:
    try:
        return urlsplit(uri)
    except ValueError:  # "Invalid IPv6 URL": an unclosed '[' or stray ']'
        raise UsageError(
            f"libvirt URI {uri!r} is malformed (brackets)", "write an IPv6 host as qemu+ssh://root@[fe80::1]/system"
        ) from None


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
    """The parts of a libvirt URI.

    :raises UsageError: malformed brackets, a bad port.
    """
    split = _split(uri)
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
    split = _split(uri)
    # The user's parameters are kept exactly as written; only ours are encoded here.
    kept = [segment for segment in _segments(split.query) if _decode(segment)[0] not in overrides]
    kept.extend(f"{quote(name, safe='')}={quote(value, safe='/:,')}" for name, value in overrides.items())
    query = "&".join(kept)
    return urlunsplit((split.scheme, split.netloc, split.path, query, split.fragment))
