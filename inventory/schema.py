"""The versioned schema: migrations applied forward, never a silent rebuild.

The schema version is SQLite's ``PRAGMA user_version`` (on PostgreSQL the
highest step in ``_migrations``); ``_migrations`` keeps when each step was
applied. Migrations run inside one write transaction, holding the write
lock, so two programs opening a new inventory at once apply them exactly once.

The xCAT tables keep xCAT's names and its all-TEXT columns, so that xCAT
tooling and habits carry over; the tables of our own use real types. Tables
keyed by node are WITHOUT ROWID: one B-tree instead of a table and an index,
which halves the cost of writing 100,000 guests.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from vminv.inventory.db import Database
from vminv.inventory.dialect import split_script
from vminv.inventory.errors import SchemaVersionError
from vminv.scanner.uri import text_without_uri_passwords, uri_without_password

_XCAT_TABLES = """
CREATE TABLE nodelist (
    node TEXT PRIMARY KEY, groups TEXT, status TEXT, comments TEXT, disable TEXT
) WITHOUT ROWID;
CREATE TABLE nodehm (
    node TEXT PRIMARY KEY, mgt TEXT, serialport TEXT, serialspeed TEXT, comments TEXT, disable TEXT
) WITHOUT ROWID;
CREATE TABLE nodetype (
    node TEXT PRIMARY KEY, arch TEXT, os TEXT, comments TEXT, disable TEXT
) WITHOUT ROWID;
CREATE TABLE vm (
    node TEXT PRIMARY KEY, host TEXT, mgr TEXT, cluster TEXT, datacenter TEXT,
    cpus TEXT, memory TEXT, nics TEXT, nicmodel TEXT, storage TEXT,
    othersettings TEXT, powerstate TEXT, comments TEXT, disable TEXT
) WITHOUT ROWID;
CREATE TABLE mac (
    node TEXT PRIMARY KEY, mac TEXT, comments TEXT, disable TEXT
) WITHOUT ROWID;
CREATE TABLE vpd (
    node TEXT PRIMARY KEY, uuid TEXT, comments TEXT, disable TEXT
) WITHOUT ROWID;
CREATE TABLE hypervisor (
    node TEXT PRIMARY KEY, type TEXT, mgr TEXT, cluster TEXT, datacenter TEXT, comments TEXT, disable TEXT
) WITHOUT ROWID;
CREATE TABLE kvm_nodedata (
    node TEXT PRIMARY KEY, xml TEXT, comments TEXT, disable TEXT
) WITHOUT ROWID;
"""

_OWN_TABLES = """
CREATE TABLE scans (
    id INTEGER PRIMARY KEY,
    started TEXT NOT NULL, finished TEXT NOT NULL, version TEXT, noderange TEXT,
    mode TEXT, options TEXT,
    hosts_total INTEGER, hosts_ok INTEGER, hosts_failed INTEGER, guests_total INTEGER,
    written INTEGER, updated INTEGER, skipped INTEGER, conflicts INTEGER,
    gone INTEGER, moved INTEGER
);
CREATE TABLE hosts (
    name TEXT PRIMARY KEY,
    uri TEXT, transport TEXT,
    status TEXT, first_seen TEXT, last_seen TEXT, last_scan_id INTEGER REFERENCES scans(id),
    error_class TEXT, error TEXT,
    hostname TEXT, hypervisor_type TEXT, hypervisor_version TEXT, libvirt_version TEXT,
    uuid TEXT, arch TEXT, cpu_model TEXT, cpu_sockets INTEGER, cpu_cores INTEGER,
    cpu_threads INTEGER, cpus INTEGER, memory_kib INTEGER
);
CREATE TABLE scan_hosts (
    scan_id INTEGER NOT NULL REFERENCES scans(id), host TEXT NOT NULL, position INTEGER NOT NULL,
    uri TEXT, status TEXT NOT NULL, error_class TEXT, error TEXT, duration_s REAL,
    guest_count INTEGER, problems TEXT, facts TEXT,
    PRIMARY KEY (scan_id, host)
);
CREATE TABLE guest_versions (
    id INTEGER PRIMARY KEY, node TEXT NOT NULL, host TEXT NOT NULL, hash TEXT NOT NULL,
    record TEXT NOT NULL
);
CREATE TABLE guests (
    id INTEGER PRIMARY KEY,
    node TEXT NOT NULL, host TEXT NOT NULL, uuid TEXT, status TEXT NOT NULL,
    type TEXT, state TEXT, domain_id INTEGER, vcpus INTEGER, vcpus_current INTEGER,
    memory_kib INTEGER, current_memory_kib INTEGER, os_type TEXT, arch TEXT, machine TEXT,
    cpu_sockets INTEGER, cpu_dies INTEGER, cpu_cores INTEGER, cpu_threads INTEGER,
    title TEXT, description TEXT, ovirt TEXT,
    -- the rscan columns, as written to the vm, mac and nodetype tables
    memory_mib TEXT, nics TEXT, nicmodel TEXT, storage TEXT, macs TEXT,
    first_seen TEXT, first_scan_id INTEGER REFERENCES scans(id),
    last_seen TEXT, last_scan_id INTEGER REFERENCES scans(id),
    gone_at TEXT, gone_scan_id INTEGER REFERENCES scans(id),
    version_id INTEGER REFERENCES guest_versions(id), record_hash TEXT,
    UNIQUE (node, host)
);
CREATE TABLE guest_nics (
    guest_id INTEGER NOT NULL REFERENCES guests(id), position INTEGER NOT NULL,
    type TEXT, mac TEXT, source TEXT, model TEXT, target TEXT,
    PRIMARY KEY (guest_id, position)
) WITHOUT ROWID;
CREATE TABLE guest_disks (
    guest_id INTEGER NOT NULL REFERENCES guests(id), position INTEGER NOT NULL,
    device TEXT, type TEXT, source TEXT, target TEXT, bus TEXT, format TEXT, readonly INTEGER,
    PRIMARY KEY (guest_id, position)
) WITHOUT ROWID;
-- guest_id is not a foreign key here nor in guest_events: prune removes the
-- guest row but keeps its history and the scans it appeared in.
CREATE TABLE observations (
    scan_id INTEGER NOT NULL REFERENCES scans(id), guest_id INTEGER NOT NULL,
    version_id INTEGER NOT NULL REFERENCES guest_versions(id), position INTEGER NOT NULL,
    PRIMARY KEY (scan_id, guest_id)
) WITHOUT ROWID;
CREATE TABLE guest_events (
    id INTEGER PRIMARY KEY, guest_id INTEGER, node TEXT NOT NULL, host TEXT,
    scan_id INTEGER REFERENCES scans(id), at TEXT NOT NULL, event TEXT NOT NULL,
    field TEXT, old_value TEXT, new_value TEXT
);
CREATE INDEX guest_events_node ON guest_events(node);
CREATE TABLE findings (
    id INTEGER PRIMARY KEY, scan_id INTEGER REFERENCES scans(id), engine_url TEXT,
    kind TEXT NOT NULL, guest TEXT, uuid TEXT, engine_host TEXT, scanned_host TEXT,
    detail TEXT, recorded_at TEXT NOT NULL
);
"""


def _initial_schema(db: Database) -> None:
    # Statement by statement, inside the migration's transaction (executescript
    # would commit it first).
    for statement in split_script(_XCAT_TABLES + _OWN_TABLES):
        db.execute(statement)


def _nodegroup_table(db: Database) -> None:
    # xCAT's nodegroup table (perl-xCAT Schema.pm), keyed by group name: a
    # static group's members stay in nodelist.groups, a dynamic group's are the
    # nodes matching its wherevals.
    db.execute(
        "CREATE TABLE nodegroup (groupname TEXT PRIMARY KEY, grouptype TEXT, members TEXT, membergroups TEXT,"
        " wherevals TEXT, comments TEXT, disable TEXT) WITHOUT ROWID"
    )


def _engine_guest_ips(db: Database) -> None:
    # The addresses an engine last reported per VM (its id is the domain UUID):
    # the fallback for a guest's address when libvirt reports none.
    db.execute(
        "CREATE TABLE IF NOT EXISTS engine_guest_ips (uuid TEXT PRIMARY KEY, engine_url TEXT NOT NULL,"
        " ips TEXT NOT NULL, recorded_at TEXT NOT NULL) WITHOUT ROWID"
    )


def _uris_without_passwords(db: Database) -> None:
    # Inventories written before this step hold libvirt URIs as they were given,
    # ``root:pw@`` included (and libvirt's "Unable to parse URI ..." errors with
    # them); now they are cut where they enter. The old rows are rewritten with
    # the scanner's function; ensure_schema has the backend overwrite the old bytes.
    for table, key in (("hosts", "name"), ("scan_hosts", "scan_id, host")):
        found = db.execute(
            f"SELECT {key}, uri, error FROM {table} WHERE uri LIKE ? OR error LIKE ?", ["%@%", "%@%"]
        ).fetchall()
        where = " AND ".join(f"{column.strip()} = ?" for column in key.split(","))
        for *ids, uri, error in found:
            db.execute(
                f"UPDATE {table} SET uri = ?, error = ? WHERE {where}",
                [None if uri is None else uri_without_password(uri),
                 None if error is None else text_without_uri_passwords(error), *ids],
            )


def _disk_capacities(db: Database) -> None:
    # Each disk's virtual size in bytes, from libvirt's block stats (NULL: the host did not
    # tell). Up to 2**63-1: BIGINT on PostgreSQL (the dialect rewrites INTEGER in ALTER too).
    # Idempotent like the other steps: a file whose step records were lost keeps its column.
    if "capacity_bytes" not in db.column_names("guest_disks"):
        db.execute("ALTER TABLE guest_disks ADD COLUMN capacity_bytes INTEGER")


Migration = Callable[[Database], None]

# Append only: a released step is never edited, a change is a new step.
FIRST_STEP = "initial schema"  # every inventory's _migrations starts with it: how an inventory is told
MIGRATIONS: tuple[tuple[str, Migration], ...] = (
    (FIRST_STEP, _initial_schema),
    ("xCAT nodegroup table", _nodegroup_table),
    ("engine guest addresses", _engine_guest_ips),
    ("libvirt URIs without passwords", _uris_without_passwords),
    ("disk capacities", _disk_capacities),
)
SCHEMA_VERSION = len(MIGRATIONS)


def _check_version(db: Database, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"database {db.location} has schema version {version}, newer than this vminv "
            f"understands ({SCHEMA_VERSION})",
            "upgrade vminv",
        )
    if version == 0 and db.table_names():
        raise SchemaVersionError(
            f"{db.location} holds tables but is not a vminv inventory (no schema version)",
            "pass another --db PATH",
        )


def ensure_schema(db: Database, writable: bool = True) -> None:
    """Apply the migrations this inventory lacks, all in one write transaction.

    :param writable: false for a file opened read-only, which is checked but
        cannot be migrated
    :raises SchemaVersionError: the inventory is newer than this program, holds
        tables without a schema version (some other program's database), or
        is read-only and needs migrating
    """
    version = db.schema_version()
    if version == SCHEMA_VERSION:
        return  # the common case costs one read, no write lock
    if not writable:
        _check_version(db, version)
        raise SchemaVersionError(
            f"database {db.location} has schema version {version}, older than this vminv's ({SCHEMA_VERSION}), "
            "and is read-only here, so it cannot be migrated",
            "run rscan with this vminv as the file's owner once, or use the vminv that wrote it",
        )
    # A migration may rewrite what must not stay readable in the file (a password).
    with db.erasing_replaced_bytes(), db.write_transaction():
        version = db.schema_version()  # again: another process may have migrated meanwhile
        _check_version(db, version)
        if version == 0:
            db.execute(
                "CREATE TABLE _migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
        now = datetime.now(UTC).isoformat(timespec="seconds")
        for number, (name, migrate) in enumerate(MIGRATIONS, start=1):
            if number <= version:
                continue
            migrate(db)
            db.execute("INSERT INTO _migrations (version, name, applied_at) VALUES (?, ?, ?)", [number, name, now])
        db.set_schema_version(SCHEMA_VERSION)
