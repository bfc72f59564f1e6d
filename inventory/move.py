"""Accept a guest's move to another host: the administrator's answer to a conflict.

rscan never overwrites a node whose ``vm.host`` names another host (xCAT's
rule), so after a live migration every scan reports the guest as a conflict.
``move_node`` changes ``vm.host`` (only that: groups, comments and every other
value an administrator set stay), after which ``-u``/``-w`` update it again.
"""

from __future__ import annotations

from dataclasses import dataclass

from vminv.errors import UsageError
from vminv.inventory.db import database, write_transaction
from vminv.inventory.errors import UnknownNodeError
from vminv.inventory.location import Location


@dataclass(frozen=True)
class NodeMove:
    node: str
    old_host: str | None
    new_host: str


def move_node(db_path: Location, node: str, host: str) -> NodeMove:
    """Set ``vm.host`` of ``node`` to ``host``.

    :raises UnknownNodeError: no ``vm`` row has that name
    :raises UsageError: the host name is empty
    """
    if not host.strip():
        raise UsageError("empty host name", "name the host the guest now runs on")
    with database(db_path, create=False, write=True) as db, write_transaction(db):
        row = db.execute("SELECT host FROM vm WHERE node = ?", [node]).fetchone()
        if row is None:
            raise UnknownNodeError(f"no node {node!r} in the vm table", "see `vminv export` for the nodes written")
        db.execute("UPDATE vm SET host = ? WHERE node = ?", [host, node])
    return NodeMove(node=node, old_host=row[0], new_host=host)
