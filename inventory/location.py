"""Where an inventory lives: an SQLite file (a :class:`pathlib.Path`) or a PostgreSQL database.

Every library function takes a :data:`Location`. A PostgreSQL location is a
libpq URI without a password: the password comes from libpq's own sources
(``~/.pgpass``, ``$PGPASSFILE``, ``$PGPASSWORD``) or is handed over by the
caller (read from a ``password_file``), and is never part of what is shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from vminv.errors import UsageError

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True)
class PostgresLocation:
    """A PostgreSQL database named by a libpq URI, e.g. ``postgresql://vminv@db.example.com/inventory``.

    ``password`` (optional) is kept out of ``repr`` and ``str``; libpq gets
    it as a connection parameter, never inside the URI.
    """

    url: str
    password: str | None = field(default=None, repr=False, compare=False)

    def __str__(self) -> str:
        return self.url


Location = Path | PostgresLocation


def is_postgres_url(text: str) -> bool:
    return text.startswith(POSTGRES_SCHEMES)


def parse_location(text: str, password: str | None = None) -> Location:
    """``postgresql://...`` becomes a :class:`PostgresLocation`, anything else a file path.

    :param password: the PostgreSQL password from a ``password_file`` (None:
        libpq looks in ``~/.pgpass``, ``$PGPASSFILE`` and ``$PGPASSWORD``)
    :raises UsageError: the URI carries a password or cannot be parsed
    """
    if not is_postgres_url(text):
        return Path(text).expanduser()
    hint = "keep it in ~/.pgpass, $PGPASSFILE, $PGPASSWORD or a password_file, never in the URI"
    try:
        parts = urlsplit(text)
        has_password = parts.password is not None
        query = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError as exc:
        # The message names the fault, not the URI (which may hold a secret).
        raise UsageError(f"cannot parse the PostgreSQL URI given as the database ({exc})", "see `man psql` for the form") from exc
    if has_password or any(key == "password" for key, _ in query):
        raise UsageError("the PostgreSQL URI given as the database holds a password", hint)
    return PostgresLocation(text, password)


def describe(location: Location) -> str:
    """How messages name the inventory: the file, or the URI (which holds no password)."""
    return str(location)
