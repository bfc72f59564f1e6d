"""The HTTP session with one engine: TLS, timeouts, retries, authentication, errors.

One :class:`EngineClient` owns one ``requests.Session``. Every request has a
timeout, carries the ``Version`` header and the credentials, and is counted
(``requests_made``). Connection resets and 502/503/504 are retried with
exponential backoff; everything else that goes wrong becomes one
:class:`vminv.errors.RhevError` with a one-line message.

Credentials (Basic, the bearer token, the session cookie) go only to the
origin of the URL the user gave: :meth:`EngineClient._send`, through which
every request passes, refuses any other scheme, host or port, and redirects
are never followed automatically (one to another origin is an error, one
within the origin is followed by hand for GETs).
"""

from __future__ import annotations

import json
import re
import time
import warnings
from collections.abc import Callable, Mapping
from urllib.parse import urljoin, urlsplit

import requests
from lxml import etree

from vminv.rhev.errors import (
    RhevAuthError,
    RhevConnectionError,
    RhevForeignOriginError,
    RhevHTTPError,
    RhevProtocolError,
    RhevTimeoutError,
    RhevTLSError,
)
from vminv.rhev.parse import parse_document, parse_fault
from vminv.rhev.settings import EngineSettings

Progress = Callable[[str], None]

SSO_TOKEN_PATH = "/ovirt-engine/sso/oauth/token"
SSO_LOGOUT_PATH = "/ovirt-engine/services/sso-logout"
RETRY_STATUSES = frozenset({502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
USER_AGENT = "vminv-rhev/1"
DEFAULT_PORTS = {"https": 443, "http": 80}
FOREIGN_HINT = ("vminv sends the login only to the engine URL you gave; "
                "if the engine really lives there, give that URL with --rhevm")

Origin = tuple[str, str, int | None]


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) with the defaults filled in; None when the URL has no usable origin."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if not parts.hostname or parts.username is not None or parts.password is not None:
        # user@host: a URL carrying userinfo is never treated as the engine's.
        return None
    return scheme, parts.hostname.lower(), port if port is not None else DEFAULT_PORTS.get(scheme)


def _shown_origin(url: str) -> str:
    """A foreign URL for a message: its origin only (the path is engine data, and may be long)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return _capped(url)
    return _capped(f"{parts.scheme}://{parts.netloc}" if parts.scheme or parts.netloc else url)


def _capped(text: str, limit: int = 160) -> str:
    """Engine-sent text in a one-line message: at most ``limit`` characters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _short(url: str) -> str:
    """Path and query of a URL, for messages (the origin is said once elsewhere)."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class EngineClient:
    """Authenticated, retrying access to one engine.

    Use as a context manager; :meth:`close` revokes the SSO token.
    """

    def __init__(self, settings: EngineSettings, progress: Progress | None = None) -> None:
        self.settings = settings
        self.requests_made = 0
        self.api_version: int = settings.api_version or 4
        self._progress = progress
        self._session = requests.Session()
        self._session.headers.update({"Accept": "application/xml", "User-Agent": USER_AGENT})
        self._token: str | None = None
        self._basic = False
        self._origin = origin_of(settings.origin)
        if settings.insecure:
            self._verify: bool | str = False
        elif settings.ca_file is not None:
            self._verify = str(settings.ca_file)
        else:
            self._verify = True

    # --- lifecycle -------------------------------------------------------------------

    def __enter__(self) -> EngineClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._token is not None:
            # Revoke the token so the engine session ends now, not at its TTL.
            try:
                self._send("POST", self.settings.origin + SSO_LOGOUT_PATH,
                           data={"scope": "ovirt-app-api", "token": self._token},
                           headers={"Accept": "application/json"}, retry=False)
            except Exception:
                pass
            self._token = None
        self._session.close()

    def _say(self, message: str) -> None:
        if self._progress is not None:
            self._progress(message)

    # --- authentication --------------------------------------------------------------

    def login(self) -> None:
        """Get an SSO token (4.x); fall back to Basic where the engine has no SSO (3.x)."""
        url = self.settings.origin + SSO_TOKEN_PATH
        form = {
            "grant_type": "password",
            "scope": "ovirt-app-api",
            "username": self.settings.user,
            "password": self.settings.password,
        }
        response = self._send("POST", url, data=form, headers={"Accept": "application/json"})
        body = self._json(response)
        token = body.get("access_token") if body else None
        if response.status_code == 200 and isinstance(token, str):
            self._token = token
            self._basic = False
            return
        error = self._sso_error(body)
        if error is not None:
            raise RhevAuthError(
                f"{self.settings.origin} refused the login of {self.settings.user}: {error}",
                "check the password and the user@profile name",
            )
        # No SSO here (404 on RHEV 3.x, or a proxy page): HTTP Basic on every request.
        self._say("no SSO token endpoint; using HTTP Basic authentication")
        self._token = None
        self._basic = True

    @staticmethod
    def _json(response: requests.Response) -> dict[str, object] | None:
        if "json" not in response.headers.get("Content-Type", ""):
            return None
        try:
            body = json.loads(response.content.decode("utf-8", "replace"))
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    @staticmethod
    def _sso_error(body: Mapping[str, object] | None) -> str | None:
        if not body:
            return None
        # ovirt-app-api scope: {"error_code", "error"}; OpenID style: {"error", "error_description"}.
        if "error_code" in body:
            return str(body.get("error") or body["error_code"])
        if "error_description" in body:
            return str(body["error_description"])
        if "error" in body:
            return str(body["error"])
        return None

    def _auth_headers(self) -> dict[str, str]:
        if self._token is not None:
            return {"Authorization": f"Bearer {self._token}"}
        return {}

    # --- requests --------------------------------------------------------------------

    def absolute(self, href: str) -> str:
        """Engine hrefs are absolute paths: resolve against scheme://host:port only."""
        return self._join(self.settings.origin + "/", href, f"GET {_capped(href)}")

    def _join(self, base: str, reference: str, label: str) -> str:
        """``urljoin``, with a link that does not even parse (``https://[::1``) refused like a foreign one."""
        try:
            return urljoin(base, reference)
        except ValueError:
            raise RhevForeignOriginError(
                f"{_capped(label)}: the engine sent a malformed link ({_capped(reference, 80)}); not followed",
                FOREIGN_HINT,
            ) from None

    def get_xml(self, href: str, params: Mapping[str, str] | None = None, what: str | None = None,
                version: int | None = None) -> etree._Element:
        """GET an engine document and parse it; errors name ``what`` (default: the path)."""
        url = self.absolute(href)
        label = what or f"GET {_short(url)}"
        response = self.get(url, params=params, what=label, version=version)
        content_type = response.headers.get("Content-Type", "")
        if "xml" not in content_type:
            raise RhevProtocolError(
                f"{label}: the engine answered {content_type or 'no content type'}, not XML",
                "is the URL really an oVirt/RHEV engine?",
            )
        return parse_document(response.content, label)

    def get(self, url: str, params: Mapping[str, str] | None = None, what: str | None = None,
            version: int | None = None, allow: tuple[int, ...] = ()) -> requests.Response:
        """GET with the API headers; statuses in ``allow`` are returned, not raised.

        A redirect within the engine's origin is followed (at most
        :data:`MAX_REDIRECTS` hops); :meth:`_send` refuses one to another origin.
        """
        label = what or f"GET {_short(url)}"
        headers = {"Version": str(version or self.api_version), "Prefer": "persistent-auth"}
        response = self._authorised("GET", url, params=params, headers=headers, label=label)
        for _ in range(MAX_REDIRECTS):
            if response.status_code not in REDIRECT_STATUSES:
                break
            target = self._join(response.url, response.headers["Location"], label)
            response = self._authorised("GET", target, params=None, headers=headers, label=label)
        if response.status_code == 200 or response.status_code in allow:
            return response
        raise self._status_error(response, label)

    def _authorised(self, method: str, url: str, *, params: Mapping[str, str] | None,
                    headers: dict[str, str], label: str) -> requests.Response:
        for attempt in (1, 2):
            auth = (self.settings.user, self.settings.password) if self._basic else None
            response = self._send(method, url, params=params, headers={**headers, **self._auth_headers()},
                                  auth=auth, label=label)
            if response.status_code == 401 and self._token is not None and attempt == 1:
                # Tokens expire and there are no refresh tokens: log in again, once.
                self._say("token rejected; logging in again")
                self.login()
                continue
            return response
        return response

    def _status_error(self, response: requests.Response, label: str) -> Exception:
        status = response.status_code
        url = response.url
        if status == 401:
            return RhevAuthError(
                f"{label}: the engine rejected the credentials of {self.settings.user} (401 Unauthorized)",
                "check the password and the user@profile name",
            )
        fault = None
        if "xml" in response.headers.get("Content-Type", ""):
            fault = parse_fault(response.content)
        said = ""
        if fault is not None:
            reason, detail = fault
            said = ": " + "; ".join(part for part in (reason, detail) if part)
        if status == 403:
            return RhevAuthError(
                f"{label}: {self.settings.user} may not read this (403 Forbidden){said}",
                "use an administrator account of the engine",
            )
        if status == 404:
            return RhevHTTPError(f"{label}: not found on the engine (404){said}", status, url)
        if status == 400 and not said:
            return RhevHTTPError(
                f"{label}: the engine refused the request (400), probably API v{self.api_version}",
                status, url, "try the other --api-version",
            )
        reason_phrase = response.reason or "error"
        return RhevHTTPError(f"{label}: the engine answered {status} {reason_phrase}{said}", status, url)

    def _send(self, method: str, url: str, *, params: Mapping[str, str] | None = None,
              data: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None,
              auth: tuple[str, str] | None = None, label: str | None = None,
              retry: bool = True) -> requests.Response:
        """One request with timeout and retries; maps transport failures to RhevError.

        :raises RhevForeignOriginError: ``url``, or a redirect's target, is not
            the engine's origin: nothing is sent there.
        """
        label = label or f"{method} {_short(url)}"
        if origin_of(url) != self._origin:
            raise RhevForeignOriginError(
                f"{_capped(label)}: the engine links to {_shown_origin(url)}, which is not {self.settings.origin}; not followed",
                FOREIGN_HINT,
            )
        attempts = (self.settings.retries + 1) if retry else 1
        delay = self.settings.backoff_s
        last: Exception | None = None
        for attempt in range(1, attempts + 1):
            self.requests_made += 1
            try:
                with warnings.catch_warnings():
                    # --insecure was asked for and warned about once by the caller.
                    warnings.simplefilter("ignore")
                    response = self._session.request(
                        method, url, params=params, data=data, headers=headers, auth=auth,
                        timeout=self.settings.timeout_s, verify=self._verify, allow_redirects=False,
                    )
            except requests.exceptions.SSLError as exc:
                raise RhevTLSError(
                    f"{label}: the certificate of {self.settings.origin} is not trusted ({_ssl_reason(exc)})",
                    "fetch and check the engine CA with `vminv ca --rhevm URL --ca-file FILE`, then pass --ca-file FILE",
                ) from None
            except requests.exceptions.Timeout:
                raise RhevTimeoutError(
                    f"{label}: no answer from {self.settings.origin} within {self.settings.timeout_s:g} s",
                    "raise --timeout or check the engine's load",
                ) from None
            except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError,
                    requests.exceptions.ContentDecodingError) as exc:
                # A body cut off half-way (ChunkedEncodingError, also for a short
                # Content-Length) or a broken gzip stream is a reset like any other.
                last = exc
            except requests.exceptions.RequestException as exc:
                raise RhevConnectionError(
                    f"{label}: the request to {self.settings.origin} failed ({type(exc).__name__})",
                    "check the engine URL",
                ) from None
            except ValueError:
                # Our URL was checked above: requests parses a redirect's Location even when it
                # does not follow it (Session.send computes the next request), and a malformed
                # one ("https://[::1") raises here.
                raise RhevForeignOriginError(
                    f"{_capped(label)}: the engine redirects to a malformed address; not followed", FOREIGN_HINT,
                ) from None
            else:
                self._refuse_foreign_redirect(response, label)
                if response.status_code not in RETRY_STATUSES or attempt == attempts:
                    return response
                last = None
                self._say(f"{label}: {response.status_code}, retrying in {delay:g} s")
            if attempt < attempts:
                time.sleep(delay)
                delay *= 2
        if last is None:  # pragma: no cover - the loop returns the last response
            raise RhevProtocolError(f"{label}: no response")
        raise RhevConnectionError(
            f"{label}: cannot reach {self.settings.origin} after {attempts} attempts ({_conn_reason(last)})",
            "check the URL, the port and that the engine is running",
        )

    def _refuse_foreign_redirect(self, response: requests.Response, label: str) -> None:
        if response.status_code not in REDIRECT_STATUSES:
            return
        location = response.headers.get("Location")
        if not location:
            return
        target = self._join(response.url, location, label)
        if origin_of(target) != self._origin:
            raise RhevForeignOriginError(
                f"{_capped(label)}: the engine redirects to {_shown_origin(target)}, which is not "
                f"{self.settings.origin}; not followed",
                FOREIGN_HINT,
            )


def _ssl_reason(exc: Exception) -> str:
    text = re.sub(r"\s*\(_ssl\.c:\d+\)", "", str(exc))  # OpenSSL's source line says nothing to a user
    for marker in ("certificate verify failed", "hostname mismatch", "self-signed", "wrong version number"):
        if marker in text:
            start = text.find(marker)
            return text[start:].split("'")[0].split(")")[0].strip(" :")
    return "TLS handshake failed"


def _conn_reason(exc: Exception) -> str:
    text = str(exc)
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "connection broken in the middle of an answer"
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return "answer could not be decompressed"
    for marker in ("Connection refused", "Connection reset", "Name or service not known",
                   "No route to host", "Remote end closed connection", "Connection aborted",
                   "Temporary failure in name resolution", "nodename nor servname"):
        if marker in text:
            return marker.lower()
    return "connection failed"
