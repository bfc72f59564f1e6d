"""A throwaway PostgreSQL cluster for the tests: initdb in a temporary directory, run as an unprivileged user.

Debian's ``postgresql`` package (installed by ``.ci/services``) provides the
binaries. The server refuses to run as root, so as root the cluster belongs
to ``postgres`` (the package's user) or ``nobody``. It listens on a unix
socket in its directory and on 127.0.0.1 only (password logins, scram), with
durability off (a test cluster lives for one session). Every test gets a
fresh database of its own.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

ADMIN = "vminv_admin"
PASSWORD_USER = "vminv_pw"  # logs in over TCP with a password
PASSWORD = "s3cret-Pg-pass"


def bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgCluster:
    def __init__(self, durable: bool = False) -> None:
        self.durable = durable
        bindir = bin_dir()
        if bindir is None:
            raise RuntimeError("no PostgreSQL binaries (run .ci/services, which installs Debian's postgresql)")
        self.bindir = bindir
        self.base = Path(tempfile.mkdtemp(prefix="vminv-pg-"))
        self.data = self.base / "data"
        self.port = _free_port()
        self.user: str | None = None
        if os.geteuid() == 0:
            self.user = "postgres" if _user_exists("postgres") else "nobody"
            entry = pwd.getpwnam(self.user)
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
        self._counter = itertools.count(1)
        self._started = False

    def _run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.user is not None:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd="/")

    def start(self) -> PgCluster:
        self._run("initdb", "-D", str(self.data), "-U", ADMIN, "--auth-local=trust", "--auth-host=scram-sha-256",
                  "-E", "UTF8", "--locale=C.UTF-8")
        options = f"-k {self.base} -p {self.port} -c listen_addresses=127.0.0.1 -c max_connections=100"
        if not self.durable:  # a test cluster lives for one session
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.base / "log"), "-w", "start")
        self._started = True
        self.admin(f"CREATE ROLE {PASSWORD_USER} LOGIN PASSWORD '{PASSWORD}'")
        return self

    def stop(self) -> None:
        try:
            if self._started:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def url(self, dbname: str = "postgres", user: str = ADMIN) -> str:
        """A libpq URI reaching the cluster over its unix socket."""
        return f"postgresql://{user}@/{dbname}?host={quote(str(self.base), safe='')}&port={self.port}"

    def tcp_url(self, dbname: str, user: str = PASSWORD_USER) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    def admin(self, *statements: str, dbname: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(dbname), autocommit=True) as conn:
            for statement in statements:
                conn.execute(statement)  # type: ignore[arg-type]

    def new_database(self) -> str:
        name = f"inv{next(self._counter)}"
        self.admin(f"CREATE DATABASE {name}", f"GRANT ALL ON DATABASE {name} TO {PASSWORD_USER}")
        self.admin(f"GRANT ALL ON SCHEMA public TO {PASSWORD_USER}", dbname=name)
        return name

    def new_schema_url(self, dbname: str, user: str = ADMIN) -> str:
        """A fresh empty schema in ``dbname``, as the URI of a connection whose search_path is that schema."""
        name = f"s{next(self._counter)}"
        self.admin(f"CREATE SCHEMA {name} AUTHORIZATION {user}", dbname=dbname)
        return f"{self.url(dbname, user)}&options=-csearch_path%3D{name}"

    def drop_database(self, name: str) -> None:
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True
