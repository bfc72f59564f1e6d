"""Fetching the engine's CA certificate for the user to check and pin.

The engine publishes its CA at ``/ovirt-engine/services/pki-resource`` (3.2+)
and RHEV 3.x also at ``/ca.crt``. The fetch itself cannot be verified (we do
not trust the CA yet): this is trust on first use, which is why the caller
shows the SHA-256 fingerprint and the user compares it with the one on the
engine (``openssl x509 -in /etc/pki/ovirt-engine/ca.pem -noout -fingerprint -sha256``).
"""

from __future__ import annotations

import hashlib
import os
import re
import ssl
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import requests

from vminv.errors import UsageError
from vminv.privatedirs import make_private_dirs
from vminv.rhev.errors import RhevConnectionError, RhevHTTPError, RhevProtocolError, RhevTimeoutError
from vminv.rhev.settings import EngineSettings

PKI_RESOURCE_PATH = "/ovirt-engine/services/pki-resource?resource=ca-certificate&format=X509-PEM-CA"
LEGACY_CA_PATH = "/ca.crt"
_PEM = re.compile(r"-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----")


@dataclass(frozen=True)
class EngineCA:
    pem: str  # the first certificate of the answer, PEM
    sha256: str  # "AB:CD:..." as openssl prints it
    source_url: str


def fingerprint_sha256(pem: str) -> str:
    digest = hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def fetch_ca(settings: EngineSettings) -> EngineCA:
    """Download the engine CA (unverified by nature; see the module docstring).

    :raises RhevError: unreachable, no CA at either path, not a PEM certificate.
    """
    tried = []
    for path in (PKI_RESOURCE_PATH, LEGACY_CA_PATH):
        url = settings.origin + path
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # verify=False is the point here
                response = requests.get(url, timeout=settings.timeout_s, verify=False, allow_redirects=False)
        except requests.exceptions.Timeout:
            raise RhevTimeoutError(f"GET {path}: no answer from {settings.origin} within {settings.timeout_s:g} s") from None
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError):
            raise RhevConnectionError(f"cannot reach {settings.origin} to fetch its CA",
                                      "check the URL and the port") from None
        except requests.exceptions.RequestException as exc:
            raise RhevConnectionError(f"cannot fetch the CA of {settings.origin} ({type(exc).__name__})",
                                      "check the URL") from None
        except ValueError:
            # requests parses a redirect's Location even when not following it; a malformed one raises.
            raise RhevProtocolError(f"GET {path.split('?')[0]}: the engine redirects to a malformed address",
                                    "check the URL") from None
        if response.status_code != 200:
            tried.append(f"{path.split('?')[0]} ({response.status_code})")
            continue
        found = _PEM.search(response.content.decode("ascii", "replace"))
        if found is None:
            raise RhevProtocolError(f"GET {path.split('?')[0]}: the answer is not a PEM certificate")
        pem = found.group(0).strip() + "\n"
        try:
            sha256 = fingerprint_sha256(pem)
        except ValueError:
            raise RhevProtocolError(f"GET {path.split('?')[0]}: the certificate cannot be decoded") from None
        return EngineCA(pem=pem, sha256=sha256, source_url=url)
    raise RhevHTTPError(f"no CA certificate at {settings.origin} (tried {', '.join(tried)})", 404, settings.origin,
                        "copy /etc/pki/ovirt-engine/ca.pem from the engine instead")


def ca_destination(path: Path) -> Path:
    """Where :func:`save_ca` will write, checked before anything is fetched.

    Missing parent folders are created (``~/.config/vminv``); a path whose
    folder cannot be made or written is one line, before the user is asked to
    accept a fingerprint for nothing.

    :raises UsageError: the folder cannot be created or written, or the path is a folder.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise UsageError(f"--ca-file {path} is a folder", "name the file to write, e.g. ~/.config/vminv/rhevm-ca.pem")
    try:
        make_private_dirs(path.parent)  # ~/.config/vminv: private, like the inventory's folder
    except OSError as exc:
        raise UsageError(f"cannot create the folder of --ca-file {path}: {exc.strerror or type(exc).__name__}",
                         "choose a file in a folder you can write") from None
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise UsageError(f"cannot write into {path.parent} (for --ca-file {path.name})",
                         "choose a file in a folder you can write")
    return path


def save_ca(ca: EngineCA, path: Path) -> None:
    """Write the PEM atomically (a half-written CA file would fail every later run).

    :raises UsageError: the file cannot be written (see :func:`ca_destination`).
    """
    path = ca_destination(path)
    try:
        handle, temporary = tempfile.mkstemp(prefix=".ca-", dir=path.parent)
    except OSError as exc:
        raise UsageError(f"cannot write the CA certificate to {path}: {exc.strerror or type(exc).__name__}",
                         "choose a file in a folder you can write") from None
    try:
        with os.fdopen(handle, "w", encoding="ascii") as stream:
            stream.write(ca.pem)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise UsageError(f"cannot write the CA certificate to {path}: {exc.strerror or type(exc).__name__}",
                         "choose a file in a folder you can write") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
