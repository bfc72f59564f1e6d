"""The one hardened lxml parser every XML document in this project goes through.

No entity expansion (billion laughs), no external entities or DTD loading
(XXE), no network, no huge trees. Domain XML, libvirt capabilities and the
oVirt engine's documents all use :func:`parse_xml`.
"""

from __future__ import annotations

from lxml import etree

# A domain XML is a few KiB; an engine page of 500 VMs a few MiB. Anything
# far larger is refused by lxml's default limits (huge_tree=False).
_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
    # Indentation between elements is not data; not making a text node of each run of
    # it saves a twentieth of a domain's parse. A leaf's own text is kept even when blank
    # (libxml2 keeps the only child of an element), so no value changes.
    remove_blank_text=True,
)


# The one size limit for a host's documents, live or replayed: a domain XML or a host's
# capabilities are KiBs (a guest with hundreds of disks some hundred KiB), a replay's
# host.json holds one state line per guest. Anything larger is refused unparsed (live)
# or unread (replay).
MAX_HOST_DOCUMENT_BYTES = 10 * 1024 * 1024


class XMLSyntaxProblem(ValueError):
    """Raised for anything that is not a safe, well-formed XML document."""


def too_large(size: int, limit: int) -> str:
    """The one-line reason for a document over ``limit`` bytes."""
    return f"document of {size} bytes is over the limit of {limit // 1024 // 1024} MiB"


def parse_xml(data: bytes | str, max_bytes: int | None = None) -> etree._Element:
    """Parse ``data`` (bytes, or str without an encoding declaration issue).

    ``max_bytes`` refuses a larger document (as UTF-8) before it is parsed.
    Raises :class:`XMLSyntaxProblem` with a one-line reason.
    """
    if isinstance(data, str):
        if max_bytes is not None and len(data) > max_bytes:  # never fewer bytes than characters
            raise XMLSyntaxProblem(too_large(len(data), max_bytes))
        # lxml refuses str input that carries an encoding declaration.
        data = data.encode("utf-8")
    if max_bytes is not None and len(data) > max_bytes:
        raise XMLSyntaxProblem(too_large(len(data), max_bytes))
    if not data or data.isspace():  # isspace stops at the first other byte; strip() would copy it all
        raise XMLSyntaxProblem("empty document")
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        # libxml2's text may span lines (lxml 5.0's does for bad UTF-8): one line.
        raise XMLSyntaxProblem(f"not well-formed XML: {' '.join(str(exc.msg).split())}") from None
    except ValueError as exc:
        raise XMLSyntaxProblem(f"not parseable XML: {' '.join(str(exc).split())}") from None
    tree = root.getroottree()
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        # Entities are never expanded, but a document that declares a DTD is
        # not something libvirt or the engine would ever send: refuse it.
        raise XMLSyntaxProblem("document declares a DTD (entities are not accepted)")
    return root
