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
)


class XMLSyntaxProblem(ValueError):
    """Raised for anything that is not a safe, well-formed XML document."""


def parse_xml(data: bytes | str) -> etree._Element:
    """Parse ``data`` (bytes, or str without an encoding declaration issue).

    Raises :class:`XMLSyntaxProblem` with a one-line reason.
    """
    if isinstance(data, str):
        # lxml refuses str input that carries an encoding declaration.
        data = data.encode("utf-8")
    if not data.strip():
        raise XMLSyntaxProblem("empty document")
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise XMLSyntaxProblem(f"not well-formed XML: {exc.msg}") from None
    except ValueError as exc:
        raise XMLSyntaxProblem(f"not parseable XML: {exc}") from None
    tree = root.getroottree()
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        # Entities are never expanded, but a document that declares a DTD is
        # not something libvirt or the engine would ever send: refuse it.
        raise XMLSyntaxProblem("document declares a DTD (entities are not accepted)")
    return root
