"""An HTTPS server on another port of 127.0.0.1 that only records who called it.

The credential tests point the simulated engine's links and redirects at it:
whatever it records (an ``Authorization`` header, a cookie, a form with the
password) is what a foreign host would have received.
"""

from __future__ import annotations

import ssl
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.engine_sim.pki import Pki


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Recorder:
    """``with Recorder(pki) as other: other.url``; ``other.calls`` lists what arrived."""

    def __init__(self, pki: Pki) -> None:
        self.pki = pki
        self.calls: list[Recorded] = []
        self._server: ThreadingHTTPServer | None = None

    def __enter__(self) -> Recorder:
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                recorder.calls.append(Recorded(self.command, self.path, dict(self.headers.items()), body))
                answer = b"<vms/>"
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = _record

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.pki.cert_file, self.pki.key_file)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def credentials_seen(self) -> list[str]:
        """Which credentials arrived: header names and form fields, never their values."""
        seen = []
        for call in self.calls:
            seen += [name for name in ("Authorization", "Cookie") if name in call.headers]
            if b"password=" in call.body:
                seen.append("password form")
        return seen
