"""xCAT stanza files (``lsdef -z`` / ``mkdef -z``), written from records or node definitions (pure).

Format (xCAT man5 ``xcatstanzafile``): a ``# <xCAT data object stanza file>``
header; per object a blank line, ``name:``, then 4-space indented
``objtype=node`` and the non-empty attributes sorted by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from vminv.inventory.xcat import SCAN_GROUPS, is_valid_node_name, mac_value, vm_values
from vminv.scanner.model import GuestRecord

HEADER = "# <xCAT data object stanza file>"


def _clean(value: str) -> str:
    # One attribute per line: a line break inside a value would start a new attribute.
    return " ".join(value.split("\n")).replace("\r", " ").strip()


def _quoted(value: str) -> str:
    """The value as mkdef -z reads it back.

    xCAT's stanza reader (``DBobjUtils::readFileInput``) takes any line ending
    in ``:`` for an object header, which would drop the rest of the object's
    attributes, and strips one ``"`` from each end of a value. A value in
    double quotes survives both: the reader removes exactly those quotes.
    """
    if value.endswith(":") or value.startswith('"') or value.endswith('"'):
        return f'"{value}"'
    return value


def render_stanza(objects: Iterable[tuple[str, Mapping[str, str | None]]]) -> str:
    """A stanza file for ``(node, attributes)`` pairs; empty attributes are left out."""
    lines = [HEADER]
    for name, attributes in objects:
        lines += ["", f"{name}:", "    objtype=node"]
        for key in sorted(attributes):
            value = attributes[key]
            if value is not None and _clean(str(value)):
                lines.append(f"    {key}={_quoted(_clean(str(value)))}")
    return "\n".join(lines) + "\n"


def guest_attributes(guest: GuestRecord) -> dict[str, str | None]:
    """The node attributes rscan would write for ``guest``, named as ``mkdef`` knows them."""
    host, cpus, memory, nics, nicmodel, storage, _state = vm_values(guest)
    return {
        "arch": guest.arch,
        "groups": ",".join(SCAN_GROUPS),
        "mac": mac_value(guest),
        "mgt": "kvm",
        "vmcpus": cpus,
        "vmhost": host,
        "vmmemory": memory,
        "vmnicnicmodel": nicmodel,
        "vmnics": nics,
        "vmstorage": storage,
    }


def to_stanza(records: Sequence[GuestRecord]) -> tuple[str, list[tuple[GuestRecord, str]]]:
    """The stanza of ``records`` for ``mkdef -z``, and the records left out with the reason.

    Guests whose name is not a valid xCAT node name are left out (mkdef would
    refuse the whole file). A stanza file holds one object per name, so of
    guests sharing a name only the last in ``records`` order (the noderange
    order, as ``rscan -w`` writes it) is kept. The caller names the others.
    """
    last_index = {r.name: i for i, r in enumerate(records)}
    kept: list[GuestRecord] = []
    left_out: list[tuple[GuestRecord, str]] = []
    for index, record in enumerate(records):
        if not is_valid_node_name(record.name):
            left_out.append((record, "not a valid xCAT node name (letters, digits, '-' and '_' only)"))
        elif last_index[record.name] != index:
            winner = records[last_index[record.name]]
            left_out.append((record, f"the name is also on {winner.hypervisor}, whose guest is in the stanza"))
        else:
            kept.append(record)
    return render_stanza((r.name, guest_attributes(r)) for r in kept), left_out
