"""xCAT stanza files (``lsdef -z`` / ``mkdef -z``), written from records or node definitions (pure).

Format (xCAT man5 ``xcatstanzafile``): a ``# <xCAT data object stanza file>``
header; per object a blank line, ``name:``, then 4-space indented
``objtype=node`` and the non-empty attributes sorted by name.

Values are escaped the same way whether stdout is a terminal or a file: a
line break becomes a space (one attribute per line), and every other
character a terminal would act on or hide (C0/C1 controls, DEL, bidi
overrides, zero-width and other format characters) is written as a visible
escape (``\\x1b``, ``\\u202e``) by :func:`vminv.textsafe.terminal_safe`.
xCAT's reader has no escapes of its own and keeps such characters raw in its
tables, and no xCAT attribute vminv writes (MACs, numbers, host, bridge and
network names, disk paths, models) means anything with them; so a stanza is
safe to ``cat``, and what ``mkdef -z`` stores is what a person sees. Only
backslashes stay single (``keep_backslash``): xCAT reads ``\\`` literally,
and a path holding one must not change. The DB and the JSON keep the exact values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from vminv.inventory.xcat import SCAN_GROUPS, is_valid_node_name, mac_attribute_problem, mac_value, vm_values
from vminv.scanner.model import GuestRecord
from vminv.textsafe import terminal_safe

HEADER = "# <xCAT data object stanza file>"

# readFileInput takes a stanza named "default-<objtype>" (no further dash) as
# the defaults of that object type, and one named "default" as more of them:
# neither becomes a node, and their attributes fill every later node's.
_XCAT_DEFAULTS_NAME = re.compile(r"default(-[^-]+)?")
INVALID_NAME = "not a valid xCAT node name (letters, digits, '-' and '_' only)"
DEFAULTS_NAME = "xCAT's stanza reader takes a stanza named 'default' or 'default-<word>' as defaults, not a node"


def stanza_name_problem(name: str) -> str | None:
    """Why ``name`` cannot head a node stanza for ``mkdef -z``, or None when it can."""
    if not is_valid_node_name(name):
        return INVALID_NAME
    if _XCAT_DEFAULTS_NAME.fullmatch(name):
        return DEFAULTS_NAME
    return None


def _clean(value: str) -> str:
    # One attribute per line: a line break inside a value would start a new
    # attribute; what else a terminal acts on is escaped (see the module's docstring).
    return terminal_safe(" ".join(value.split("\n")).replace("\r", " ").strip(), keep_backslash=True)


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
            shown = "" if value is None else _clean(str(value))
            if shown:
                lines.append(f"    {key}={_quoted(shown)}")
    return "\n".join(lines) + "\n"


def nodes_to_stanza(
    objects: Iterable[tuple[str, Mapping[str, str | None]]],
) -> tuple[str, list[tuple[str, str]]]:
    """The stanza of ``(node, attributes)`` pairs, and the names left out with the reason.

    A name mkdef refuses, or one xCAT's reader takes for defaults, is left out:
    ``default`` would make ``mkdef -z`` create nothing, ``default-node`` would
    copy its MAC, NICs and disks into every later node lacking them. So is a
    node whose ``mac`` (from the table, maybe written by an older vminv) is
    not MAC addresses: xCAT would hand it to DHCP.
    """
    kept, left_out = [], []
    for name, attributes in objects:
        mac = attributes.get("mac")
        problem = stanza_name_problem(name) or (mac_attribute_problem(mac) if mac else None)
        if problem is None:
            kept.append((name, attributes))
        else:
            left_out.append((name, problem))
    return render_stanza(kept), left_out


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
    refuse the whole file), and so are guests named as xCAT's defaults
    (:func:`stanza_name_problem`). A stanza file holds one object per name, so of
    guests sharing a name only the last in ``records`` order (the noderange
    order, as ``rscan -w`` writes it) is kept. The caller names the others.
    """
    last_index = {r.name: i for i, r in enumerate(records)}
    kept: list[GuestRecord] = []
    left_out: list[tuple[GuestRecord, str]] = []
    for index, record in enumerate(records):
        problem = stanza_name_problem(record.name)
        if problem is not None:
            left_out.append((record, problem))
        elif last_index[record.name] != index:
            winner = records[last_index[record.name]]
            left_out.append((record, f"the name is also on {winner.hypervisor}, whose guest is in the stanza"))
        else:
            kept.append(record)
    return render_stanza((r.name, guest_attributes(r)) for r in kept), left_out
