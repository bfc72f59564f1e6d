"""A small HTTPS oVirt/RHEV engine on 127.0.0.1 for the tests.

It serves v3 and v4 documents (``render``) from a scenario (``scenario``) the
way the engine versions in ``EngineMode`` do: entry paths, ``Version``
selection, SSO tokens and HTTP Basic, persistent-auth sessions, the HTML 401
page, faults, search with ``sortby``/``page``, ``max`` (query on v4, matrix
on v3), RHEV 3.0's 100-row cut, ``follow=``, gzip, the CA at pki-resource.
Failure injection: a status on page N, transient 503s, connection resets,
delays. Every request is logged in ``requests``.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.engine_sim import render
from tests.engine_sim.pki import Pki
from tests.engine_sim.scenario import Scenario

HTML_401 = b"<html><head><title>Error</title></head><body>Unauthorized</body></html>"
HTML_404 = b"<html><head><title>Error</title></head><body>Not Found</body></html>"
PKI_PATH = "/ovirt-engine/services/pki-resource"

COLLECTIONS = {
    # path segment -> (scenario attribute, collection root tag)
    "vms": ("vms", "vms"),
    "hosts": ("hosts", "hosts"),
    "clusters": ("clusters", "clusters"),
    "datacenters": ("datacenters", "data_centers"),
    "storagedomains": ("storage_domains", "storage_domains"),
    "networks": ("networks", "networks"),
    "templates": ("templates", "templates"),
    "disks": ("disks", "disks"),
    "vnicprofiles": ("vnic_profiles", "vnic_profiles"),
}
SEARCHABLE = {"vms", "hosts", "clusters", "datacenters", "storagedomains", "networks", "templates", "disks"}


@dataclass
class EngineMode:
    """Which engine is simulated, and what goes wrong."""

    version: str = "4.3"  # 3.0 ... 3.6, 4.0 ... 4.5
    gzip: bool = True
    fail_page: dict[str, tuple[int, int]] = field(default_factory=dict)  # collection -> (page, status)
    transient_503: int = 0  # the first N API requests answer 503
    reset_first: int = 0  # the first N API requests are cut off without an answer
    truncate_first: int = 0  # the next N API requests are cut off half-way through the body
    delay_s: float = 0.0  # every API request waits this long first
    forbidden: frozenset[str] = frozenset()  # collections the user may not read (403 with a fault)
    # Objects added meanwhile: pages after the first start this many rows early
    # (pages are not snapshot-consistent), so rows come twice.
    page_shift: int = 0
    # Hostile engines (or a hijacked proxy): the entry document's links point at
    # another origin; API GETs or the SSO token request redirect to one.
    link_origin: str | None = None
    redirect_api_to: str | None = None
    redirect_sso_to: str | None = None
    redirect_pki_to: str | None = None  # the CA download redirects (vminv ca)
    api_alias: str | None = None  # a path that 301-redirects to the API (a proxy's alias)

    @property
    def engine_version(self) -> tuple[int, int]:
        major, minor = self.version.split(".")
        return int(major), int(minor)

    @property
    def api_paths(self) -> tuple[str, ...]:
        v = self.engine_version
        if v < (3, 4):
            return ("/api",)
        if v < (4, 0):
            return ("/ovirt-engine/api", "/api")
        return ("/ovirt-engine/api",)

    @property
    def api_versions(self) -> frozenset[int]:
        v = self.engine_version
        if v < (4, 0):
            return frozenset({3})
        if v < (4, 4):
            return frozenset({3, 4})
        return frozenset({4})

    @property
    def has_sso(self) -> bool:
        return self.engine_version >= (4, 0)

    @property
    def realm(self) -> str:
        return "RESTAPI" if self.engine_version >= (3, 5) else "ENGINE"


class EngineSimulator:
    """Start with ``with EngineSimulator(scenario, pki) as engine: engine.url``."""

    def __init__(self, scenario: Scenario, pki: Pki, mode: EngineMode | None = None) -> None:
        self.scenario = scenario
        self.pki = pki
        self.mode = mode or EngineMode()
        self.requests: list[tuple[str, str, int]] = []  # (method, path?query, status)
        self.tokens: set[str] = set()
        self.sessions: set[str] = set()
        self.lock = threading.Lock()
        self._api_requests = 0
        self._cache: dict[tuple[Any, ...], str] = {}
        self._disks = [(vm, d) for vm in scenario.vms for d in vm.get("disks", [])]
        self._vms_by_id = {vm["id"]: vm for vm in scenario.vms}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        full = scenario.engine.get("full_version", "")
        if not full.startswith(self.mode.version):
            # The entry document must say the simulated version.
            scenario.engine = {**scenario.engine, "full_version": f"{self.mode.version}.0-1"}
            if self.mode.engine_version < (4, 0):
                scenario.engine["name"] = "Red Hat Enterprise Virtualization Manager"
                scenario.engine["vendor"] = "Red Hat"

    # --- lifecycle -------------------------------------------------------------------

    def __enter__(self) -> EngineSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        simulator = self

        class Handler(_Handler):
            sim = simulator

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.pki.cert_file, self.pki.key_file)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def user(self) -> str:
        return str(self.scenario.engine["user"])

    @property
    def password(self) -> str:
        return str(self.scenario.engine["password"])

    def paths(self) -> list[str]:
        return [path for _, path, _ in self.requests]

    # --- rendering with a cache: objects are static for a simulator's life -------------

    def fragment(self, kind: str, item: dict[str, Any], ctx: render.Context, extra: Any = None) -> str:
        key = (kind, item["id"], ctx.version, ctx.prefix, ctx.follow, id(extra) if extra is not None else None)
        text = self._cache.get(key)
        if text is None:
            element = _RENDERERS[kind](item, ctx, extra)
            text = render.serialize(element, level=1)
            self._cache[key] = text
        return text


# Object kind -> renderer(item, ctx, extra); "extra" is the owning VM (NICs,
# attachments) or, for v3 disks, the VM they hang under.
_RENDERERS: dict[str, Callable[[dict[str, Any], render.Context, Any], Any]] = {
    "vms": lambda item, ctx, _: render.vm(item, ctx),
    "hosts": lambda item, ctx, _: render.host(item, ctx),
    "clusters": lambda item, ctx, _: render.cluster(item, ctx),
    "datacenters": lambda item, ctx, _: render.datacenter(item, ctx),
    "storagedomains": lambda item, ctx, _: render.storage_domain(item, ctx),
    "networks": lambda item, ctx, _: render.network(item, ctx),
    "templates": lambda item, ctx, _: render.template(item, ctx),
    "vnicprofiles": lambda item, ctx, _: render.vnic_profile(item, ctx),
    "disks": lambda item, ctx, extra: render.disk(item, ctx, extra if ctx.version < 4 else None),
    "nics": lambda item, ctx, extra: render.nic(extra, item, ctx),
    "diskattachments": lambda item, ctx, extra: render.disk_attachment(extra, item, ctx),
}


class _SearchError(ValueError):
    pass


_CONDITION = re.compile(r"^(\w+)\s*(!=|=)\s*(\S+)$")


def _search(items: list[dict[str, Any]], query: str, host_names: dict[str, str]) -> tuple[list[dict[str, Any]], int | None]:
    """A subset of the engine's search language: conditions, ``sortby``, ``page``."""
    text = query.strip()
    page = None
    match = re.search(r"\bpage\s+(\d+)\s*$", text)
    if match:
        page = int(match.group(1))
        text = text[: match.start()].strip()
    descending = False
    match = re.search(r"\bsortby\s+name(?:\s+(asc|desc))?\s*$", text)
    if match:
        descending = match.group(1) == "desc"
        text = text[: match.start()].strip()
    result = list(items)
    if text:
        for condition in re.split(r"\s+and\s+", text, flags=re.IGNORECASE):
            found = _CONDITION.match(condition.strip())
            if not found:
                raise _SearchError(condition)
            fieldname, operator, value = found.groups()
            pattern = re.compile("^" + re.escape(value).replace(r"\*", ".*") + "$")

            def value_of(item: dict[str, Any], fieldname: str = fieldname) -> str:
                if fieldname in ("host", "on_host"):
                    return host_names.get(item.get("host_id") or "", "")
                return str(item.get(fieldname, "") or "")

            if fieldname not in ("name", "status", "id", "host", "on_host", "address"):
                raise _SearchError(condition)
            keep = [item for item in result if bool(pattern.match(value_of(item))) == (operator == "=")]
            result = keep
    result.sort(key=lambda item: str(item.get("name") or item.get("alias") or ""), reverse=descending)
    return result, page


class _Handler(BaseHTTPRequestHandler):
    sim: EngineSimulator
    protocol_version = "HTTP/1.1"
    server_version = "Apache"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without TCP_NODELAY each
        # keep-alive response would wait for the client's delayed ACK (40 ms).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # --- plumbing --------------------------------------------------------------------

    def _send(self, status: int, body: bytes = b"", content_type: str | None = None,
              headers: dict[str, str] | None = None) -> None:
        mode = self.sim.mode
        gzipped = (mode.gzip and len(body) > 1024 and "gzip" in self.headers.get("Accept-Encoding", ""))
        if gzipped:
            body = gzip.compress(body, compresslevel=1)
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        with self.sim.lock:
            self.sim.requests.append((self.command, self.path, status))

    def _xml(self, body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> None:
        self._send(status, body, "application/xml;charset=UTF-8", headers)

    def _fault(self, status: int, reason: str, detail: str) -> None:
        self._xml(render.fault(reason, detail), status)

    def _unauthorized(self) -> None:
        mode = self.sim.mode
        headers = {"WWW-Authenticate": f'Basic realm="{mode.realm}"'}
        if mode.engine_version >= (4, 0):
            self._send(401, HTML_401, "text/html;charset=UTF-8", headers)
        else:
            self._send(401, b"", None, headers)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    # --- entry points ----------------------------------------------------------------

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        form = {k: v[0] for k, v in parse_qs(self._body().decode("utf-8")).items()}
        if self.sim.mode.redirect_sso_to and path == "/ovirt-engine/sso/oauth/token":
            # 307 keeps the method and body: a client that followed would re-post the password.
            self._send(307, b"", None, {"Location": self.sim.mode.redirect_sso_to + self.path})
            return
        if path == "/ovirt-engine/sso/oauth/token" and self.sim.mode.has_sso:
            self._token(form)
        elif path == "/ovirt-engine/services/sso-logout" and self.sim.mode.has_sso:
            with self.sim.lock:
                self.sim.tokens.discard(form.get("token", ""))
            self._send(200, b"{}", "application/json")
        else:
            self._send(404, HTML_404, "text/html;charset=UTF-8")

    def _token(self, form: dict[str, str]) -> None:
        if "ovirt-app-api" not in form.get("scope", "").split():
            body = {"error_code": "invalid_scope", "error": "The requested scope is not valid."}
            self._send(400, json.dumps(body).encode(), "application/json")
            return
        if form.get("grant_type") != "password":
            body = {"error_code": "unsupported_grant_type", "error": "Unsupported grant type."}
            self._send(400, json.dumps(body).encode(), "application/json")
            return
        user = form.get("username", "")
        if user != self.sim.user or form.get("password") != self.sim.password:
            body = {"error_code": "access_denied",
                    "error": f"Cannot authenticate user '{user}': The username or password is incorrect.."}
            self._send(400, json.dumps(body).encode(), "application/json")
            return
        token = secrets.token_urlsafe(24)
        with self.sim.lock:
            self.sim.tokens.add(token)
        body = {"access_token": token, "scope": "ovirt-app-api", "exp": str(int(time.time() * 1000) + 3600000),
                "token_type": "bearer"}
        self._send(200, json.dumps(body).encode(), "application/json")

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        path = split.path
        if self.sim.mode.redirect_pki_to and path in (PKI_PATH, "/ca.crt"):
            self._send(302, b"", None, {"Location": self.sim.mode.redirect_pki_to + self.path})
            return
        if path == PKI_PATH and self.sim.mode.engine_version >= (3, 2):
            query = parse_qs(split.query)
            if query.get("resource") == ["ca-certificate"] and query.get("format") == ["X509-PEM-CA"]:
                self._send(200, self.sim.pki.ca_pem.encode(), "application/x-x509-ca-cert")
            else:
                self._send(400, b"", None)
            return
        if path == "/ca.crt" and self.sim.mode.engine_version < (4, 0):
            self._send(200, self.sim.pki.ca_pem.encode(), "application/x-x509-ca-cert")
            return
        alias = self.sim.mode.api_alias
        if alias and (path == alias or path.startswith(alias + "/")):
            self._send(301, b"", None, {"Location": self.sim.mode.api_paths[0] + self.path[len(alias):]})
            return
        prefix = next((p for p in self.sim.mode.api_paths if path == p or path.startswith(p + "/")), None)
        if prefix is None:
            self._send(404, HTML_404, "text/html;charset=UTF-8")
            return
        self._api(prefix, path[len(prefix):], split.query)

    # --- the API -----------------------------------------------------------------------

    def _authenticated(self, prefix: str) -> tuple[bool, dict[str, str]]:
        header = self.headers.get("Authorization", "")
        persistent = "persistent-auth" in self.headers.get("Prefer", "")
        cookie = re.search(r"JSESSIONID=([\w-]+)", self.headers.get("Cookie", ""))
        if header.startswith("Bearer ") and self.sim.mode.has_sso:
            return header[7:] in self.sim.tokens, {}
        if header.startswith("Basic "):
            try:
                user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
            except ValueError:
                return False, {}
            if user != self.sim.user or password != self.sim.password:
                return False, {}
            if persistent:
                session = secrets.token_hex(12)
                with self.sim.lock:
                    self.sim.sessions.add(session)
                return True, {"Set-Cookie": f"JSESSIONID={session}; Path={prefix}; Secure; HttpOnly"}
            return True, {}
        if cookie and persistent and cookie.group(1) in self.sim.sessions:
            return True, {}
        return False, {}

    def _api(self, prefix: str, rest: str, query_string: str) -> None:
        sim, mode = self.sim, self.sim.mode
        with sim.lock:
            sim._api_requests += 1
            number = sim._api_requests
        if mode.delay_s:
            time.sleep(mode.delay_s)
        if number <= mode.reset_first:
            with sim.lock:
                sim.requests.append((self.command, self.path, 0))
            self.close_connection = True
            self.connection.close()  # cut off: the client sees a reset / remote disconnect
            return
        if number <= mode.reset_first + mode.truncate_first:
            with sim.lock:
                sim.requests.append((self.command, self.path, -1))
            partial = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<vms>\n    <vm '
            self.send_response(200)
            self.send_header("Content-Type", "application/xml;charset=UTF-8")
            self.send_header("Content-Length", str(len(partial) * 10))  # promises more than it sends
            self.end_headers()
            self.wfile.write(partial)
            self.wfile.flush()
            self.close_connection = True
            self.connection.close()
            return
        if number <= mode.reset_first + mode.truncate_first + mode.transient_503:
            self._send(503, b"<html><body>Service Unavailable</body></html>", "text/html")
            return
        if mode.redirect_api_to:
            self._send(302, b"", None, {"Location": mode.redirect_api_to + self.path})
            return
        ok, auth_headers = self._authenticated(prefix)
        if not ok:
            self._unauthorized()
            return
        # Version: from the path (/v3, /v4), else the header, else the default.
        match = re.match(r"^/v(\d+)(/.*)?$", rest) if mode.engine_version >= (4, 0) else None
        if match:
            version = int(match.group(1))
            rest = match.group(2) or ""
            prefix = f"{prefix}/v{version}"
        elif mode.engine_version >= (4, 0):
            header = self.headers.get("Version")
            version = int(header) if header and header.isdigit() else 4
        else:
            version = 3  # 3.x has no VersionFilter and ignores the header
        if version not in mode.api_versions:
            self._send(400 if mode.engine_version < (4, 4) else 405, b"", None)
            return
        segments = [s for s in rest.split("/") if s]
        matrix: dict[str, str] = {}
        if segments and ";" in segments[-1]:
            head, *params = segments[-1].split(";")
            segments[-1] = head
            matrix = dict(p.partition("=")[::2] for p in params)
        query = {k: v[0] for k, v in parse_qs(query_string, keep_blank_values=True).items()}
        follow = frozenset()
        if version >= 4 and mode.engine_version >= (4, 2) and query.get("follow"):
            follow = frozenset(f.strip() for f in query["follow"].split(","))
        ctx = render.Context(version=version, prefix=prefix, engine_version=mode.engine_version,
                             engine=sim.scenario.engine, follow=follow)
        if not segments:
            entry = render.api(ctx, sim.scenario)
            if mode.link_origin:
                entry = entry.replace(f'href="{prefix}'.encode(), f'href="{mode.link_origin}{prefix}'.encode())
            self._xml(entry, headers=auth_headers)
            return
        kind = segments[0]
        if kind not in COLLECTIONS or (kind == "vnicprofiles" and version < 4 and mode.engine_version < (3, 3)):
            self._send(404, b"", None)
            return
        if len(segments) == 1:
            self._collection(kind, ctx, query, matrix, auth_headers)
            return
        self._item(kind, segments[1:], ctx, auth_headers)

    def _items(self, kind: str) -> list[dict[str, Any]]:
        if kind == "disks":
            return [d for _, d in self.sim._disks]
        return list(self.sim.scenario.collection(COLLECTIONS[kind][0]))

    def _collection(self, kind: str, ctx: render.Context, query: dict[str, str], matrix: dict[str, str],
                    headers: dict[str, str]) -> None:
        sim, mode = self.sim, self.sim.mode
        items = self._items(kind)
        page = None
        if kind in SEARCHABLE and "search" in query:
            host_names = {h["id"]: h["name"] for h in sim.scenario.hosts}
            try:
                items, page = _search(items, query["search"], host_names)
            except _SearchError as exc:
                self._fault(400, "Operation Failed", f"[Cannot search {kind}: invalid search syntax near '{exc}']")
                return
        # max: matrix parameter everywhere; also a query parameter on v4 (ParametersHelper).
        raw_max = matrix.get("max") or (query.get("max") if ctx.version >= 4 else None)
        limit = int(raw_max) if raw_max and raw_max.lstrip("-").isdigit() else None
        if limit is not None and limit < 0:
            limit = None
        if limit is None and kind in SEARCHABLE and mode.engine_version < (3, 4):
            limit = 100  # SearchResultsLimit: RHEV 3.0-3.3 without ;max
        if kind in mode.forbidden:
            self._fault(403, "Operation Failed", "[User is not authorized to perform this action.]")
            return
        if page is not None:
            size = limit if limit is not None else None
            if size is None:
                items = items if page == 1 else []
            else:
                start = (page - 1) * size
                if page > 1:
                    start = max(0, start - mode.page_shift)
                items = items[start: start + size]
        elif limit is not None:
            items = items[:limit]
        failing = mode.fail_page.get(kind)
        if failing is not None and (page or 1) == failing[0]:
            self._fault(failing[1], "Operation Failed", "[Internal Engine Error]")
            return
        plural = COLLECTIONS[kind][1]
        fragments = [sim.fragment(kind, item, ctx) for item in items]
        self._xml(render.collection(plural, fragments), headers=headers)

    def _item(self, kind: str, rest: list[str], ctx: render.Context, headers: dict[str, str]) -> None:
        sim = self.sim
        identifier = rest[0]
        if kind == "vms":
            vm = sim._vms_by_id.get(identifier)
            if vm is None:
                self._send(404, b"", None)
                return
            if len(rest) == 1:
                self._xml(render.document(render.vm(vm, ctx)), headers=headers)
                return
            sub = rest[1]
            if sub == "nics":
                fragments = [sim.fragment("nics", n, ctx, vm) for n in vm.get("nics", [])]
                self._xml(render.collection("nics", fragments), headers=headers)
                return
            if sub == "diskattachments" and ctx.version >= 4:
                fragments = [sim.fragment("diskattachments", d, ctx, vm) for d in vm.get("disks", [])]
                self._xml(render.collection("disk_attachments", fragments), headers=headers)
                return
            if sub == "disks" and ctx.version < 4:
                fragments = [sim.fragment("disks", d, ctx, vm) for d in vm.get("disks", [])]
                self._xml(render.collection("disks", fragments), headers=headers)
                return
            self._send(404, b"", None)
            return
        for item in self._items(kind):
            if item["id"] == identifier and len(rest) == 1:
                self._xml(render.document(etree_fragment(sim, kind, item, ctx)), headers=headers)
                return
        self._send(404, b"", None)


def etree_fragment(sim: EngineSimulator, kind: str, item: dict[str, Any], ctx: render.Context) -> Any:
    from lxml import etree

    return etree.fromstring(sim.fragment(kind, item, ctx).strip().encode("utf-8"))
