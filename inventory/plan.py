"""Which scanned guests a write puts into the node tables, and why not the others (pure).

The rules (xCAT's rscan design, https://github.com/xcat2/xcat-core/wiki):

* a guest is *new* when no ``vm`` row has its name, *same* when the ``vm`` row
  with its name has ``vm.host`` equal to the host it was found on, and a
  *conflict* otherwise;
* ``-n`` writes new guests, ``-u`` updates same guests, ``-w`` does both;
* a new name found on several hosts in one scan: ``-w`` and ``-n`` write the
  copy found last in noderange order and report the others as conflicts;
  ``-u`` writes none of them;
* a name in the inventory on host A that is also found on host B: B never
  overwrites A's record;
* duplicates within one scan are reported whatever the flag, even without one.

With ``follow_moves`` (``vminv run``'s profile key), a known name found on
another host is no conflict when it is the same domain that migrated: its
UUID equals the stored one, it is found on one host only, and its old host
answered the scan without it. It is then *moved*: ``vm.host`` follows it, as
``vminv move`` would do, and ``-w``/``-u`` update it from its new host.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from vminv.inventory.xcat import is_valid_node_name
from vminv.scanner.model import GuestRecord, ScanResult
from vminv.scanner.noderange import natural_key

MODES = (None, "w", "u", "n")


class PlannedGuest(NamedTuple):
    guest: GuestRecord
    action: str  # new | update | move | skip | conflict (move: only vm.host follows the guest)
    reason: str

    @property
    def node(self) -> str:
        return self.guest.name

    @property
    def host(self) -> str:
        return self.guest.hypervisor


@dataclass(frozen=True)
class WritePlan:
    mode: str | None
    entries: tuple[PlannedGuest, ...]

    def with_action(self, action: str) -> list[PlannedGuest]:
        return [entry for entry in self.entries if entry.action == action]


def check_mode(mode: str | None) -> None:
    if mode not in MODES:
        raise ValueError(f"write mode must be one of None, 'w', 'u', 'n', not {mode!r}")


def _hosts_text(copies: list[GuestRecord]) -> str:
    names = [c.hypervisor for c in copies]
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]


def _plan_new_name(copies: list[GuestRecord], mode: str | None) -> list[PlannedGuest]:
    name = copies[0].name
    if len(copies) == 1:
        guest = copies[0]
        return [PlannedGuest(guest, *new_node_action(name, mode))] if mode is not None else []
    where = _hosts_text(copies)
    if mode in ("w", "n"):
        last = copies[-1]
        planned = [
            PlannedGuest(
                copy,
                "conflict",
                f"node {name} is also found on {last.hypervisor} in this scan; "
                f"the copy on {last.hypervisor}, last in the noderange, was written",
            )
            for copy in copies[:-1]
        ]
        planned.append(
            PlannedGuest(last, "new", f"node {name} was not in the inventory; found on {where}, this one is last")
        )
        return planned
    if mode == "u":
        reason = f"node {name} is not in the inventory and is found on {where}; -u writes neither"
    else:
        reason = f"node {name} is found on {where} in this scan"
    return [PlannedGuest(copy, "conflict", reason) for copy in copies]


def known_node_action(name: str, db_host: str | None, found_host: str | None, mode: str) -> tuple[str, str]:
    """What a write with ``mode`` does to node ``name``, which has a ``vm`` row (the one rule set).

    Used by rscan's writes and by the engine's attribute writes alike.

    :param db_host: the row's ``vm.host`` (None or empty: the row names no host)
    :param found_host: where the source found the guest; None when the source
        does not place it (an engine VM that is down), which is never a conflict
    :returns: ``(action, reason)``, action ``update``, ``skip`` or ``conflict``
    """
    if found_host is not None and not db_host:
        return "conflict", f"node {name} is in the inventory without a vm.host; not overwritten"
    if found_host is not None and found_host != db_host:
        return (
            "conflict",
            f"node {name} is in the inventory on {db_host}; not overwritten (if it moved, run: vminv move {name} {found_host})",
        )
    where = f" on {db_host}" if db_host else ""
    if mode in ("w", "u"):
        return "update", f"node {name} is in the inventory{where}"
    return "skip", f"node {name} is already in the inventory{where}; -n writes new guests only (use -u or -w)"


def new_node_action(name: str, mode: str) -> tuple[str, str]:
    """What a write with ``mode`` does to node ``name``, which has no ``vm`` row: ``new`` or ``skip``."""
    if not is_valid_node_name(name):
        # Only new names are checked: a row the administrator made is theirs.
        return "skip", (
            f"{name!r} is not a valid xCAT node name (letters, digits, '-' and '_' only); not written to the node tables"
        )
    if mode == "u":
        return "skip", f"node {name} is not in the inventory; -u only updates (use -w or -n to add it)"
    return "new", f"node {name} was not in the inventory"


def _plan_known_name(copies: list[GuestRecord], db_host: str | None, mode: str | None) -> list[PlannedGuest]:
    name = copies[0].name
    if mode is None:
        if len(copies) < 2:
            return []
        return [PlannedGuest(copy, "conflict", f"node {name} is found on {_hosts_text(copies)} in this scan") for copy in copies]
    return [PlannedGuest(copy, *known_node_action(name, db_host, copy.hypervisor, mode)) for copy in copies]


@dataclass(frozen=True)
class FollowMoves:
    """What following migrations needs to know: the stored UUID of each node."""

    uuids: Mapping[str, str | None]  # node -> vpd.uuid (else the UUID last seen on vm.host)


def _followed(guest: GuestRecord, db_host: str | None, follow: FollowMoves | None, answered: set[str],
              mode: str | None) -> PlannedGuest | None:
    """The move of a migrated guest, or None when it is not one (see the module's rules)."""
    if follow is None or not db_host or db_host == guest.hypervisor or db_host not in answered:
        return None
    stored = follow.uuids.get(guest.name)
    if not stored or stored.lower() != guest.uuid.lower():
        return None  # another domain under the same name: stays a conflict
    reason = f"node {guest.name} moved from {db_host} (same UUID, {db_host} answered without it); followed"
    return PlannedGuest(guest, "update" if mode in ("w", "u") else "move", reason)


def _plannable(guests: Sequence[GuestRecord], mode: str | None, follow: FollowMoves | None) -> Sequence[GuestRecord]:
    """The guests that may have an entry in the plan: all, or when only recording, those whose name repeats.

    Recording without following moves plans nothing for a name found once
    (:func:`_plan_known_name`, :func:`_plan_new_name`): a scan's 100,000
    names are then counted in C instead of grouped in Python.
    """
    if mode is not None or follow is not None:
        return guests
    counts = Counter([guest.name for guest in guests])
    if len(counts) == len(guests):
        return ()
    return [guest for guest in guests if counts[guest.name] > 1]


def plan_writes(
    existing: Mapping[str, str | None],
    scan: ScanResult,
    mode: str | None,
    follow: FollowMoves | None = None,
) -> WritePlan:
    """Decide, for each scanned guest, what a write with ``mode`` does to the node tables.

    :param existing: the ``vm`` table as ``{node: vm.host}``
    :param scan: the scan; ``scan.hosts`` gives the noderange order
    :param mode: None (record only), ``'w'``, ``'u'`` or ``'n'``
    :param follow: follow migrations (see the module's rules); None: xCAT's rules only
    :returns: one entry per guest that is written, updated, skipped or in
        conflict; guests a mode-less scan leaves alone have no entry
    """
    check_mode(mode)
    position = {host.name: index for index, host in enumerate(scan.hosts)}

    def noderange_order(guest: GuestRecord) -> tuple[int, tuple[tuple[int, int, str, str], ...]]:
        return (position.get(guest.hypervisor, len(position)), natural_key(guest.hypervisor))

    by_name: dict[str, list[GuestRecord]] = {}
    for guest in _plannable(scan.guests, mode, follow):
        copies = by_name.get(guest.name)
        if copies is None:
            by_name[guest.name] = [guest]
        else:
            copies.append(guest)

    updating = mode in ("w", "u")
    answered = {host.name for host in scan.hosts if host.ok}
    entries: list[PlannedGuest] = []
    for name, copies in by_name.items():
        if len(copies) == 1:
            # The common case, inlined: a scan has up to 100,000 of these.
            guest = copies[0]
            db_host = existing.get(name)
            if updating and db_host is not None and db_host == guest.hypervisor:
                entries.append(PlannedGuest(guest, "update", f"node {name} is in the inventory on {db_host}"))
                continue
            moved = _followed(guest, db_host, follow, answered, mode) if follow is not None else None
            if moved is not None:
                entries.append(moved)
                continue
        else:
            # One copy per host (the last, should a host list a name twice), in noderange order.
            copies = sorted({c.hypervisor: c for c in copies}.values(), key=noderange_order)
        if name in existing:
            entries.extend(_plan_known_name(copies, existing[name], mode))
        elif mode is not None and not is_valid_node_name(name):
            entries.extend(PlannedGuest(copy, *new_node_action(name, mode)) for copy in copies)
        else:
            entries.extend(_plan_new_name(copies, mode))
    return WritePlan(mode=mode, entries=tuple(entries))
