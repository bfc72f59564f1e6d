"""Finding the API of an engine and telling v3 from v4.

``/ovirt-engine/api`` exists from RHEV 3.4 on (and is the only path from 4.0);
RHEV 3.0-3.3 only have ``/api``. The ``Version`` header picks v3 or v4 on
4.0-4.3; 3.x ignores it and 4.4+ refuses v3. What the engine really speaks is
read from the entry document: v3 writes ``<version major="4" .../>`` as
attributes, v4 as child elements.
"""

from __future__ import annotations

from vminv.rhev.client import EngineClient
from vminv.rhev.errors import RhevError, RhevHTTPError, RhevProtocolError
from vminv.rhev.model import EngineApi
from vminv.rhev.parse import api_from_element, parse_document

API_PATHS = ("/ovirt-engine/api", "/api")


def _candidates(hint: str | None) -> list[str]:
    # A URL with some other path (https://engine/ovirt-engine) still gets the usual places.
    if hint:
        return [hint] + [p for p in API_PATHS if p != hint]
    return list(API_PATHS)


def discover(client: EngineClient) -> EngineApi:
    """Log in, find the entry point and the API version; sets ``client.api_version``.

    :raises RhevError: no API found, the wanted version is not offered, auth failed.
    """
    settings = client.settings
    wanted = settings.api_version or settings.url_api_version  # https://engine/ovirt-engine/api/v3 means v3
    client.login()
    tried: list[str] = []
    for path in _candidates(settings.path_hint):
        url = client.absolute(path)
        response = client.get(url, what=f"GET {path}", version=wanted or 4, allow=(404, 400, 405))
        if response.status_code != 200:
            tried.append(f"{path} ({response.status_code})")
            continue
        if "xml" not in response.headers.get("Content-Type", ""):
            tried.append(f"{path} (not XML)")
            continue
        root = parse_document(response.content, f"GET {path}")
        if root.tag != "api":
            raise RhevProtocolError(f"GET {path}: expected the <api> entry document, got <{root.tag}>")
        api = api_from_element(root, path)
        if wanted == 4 and api.version != 4:
            raise RhevError(
                f"{settings.origin} speaks only API v3 ({api.product_name or 'engine'} {api.product_version or ''})".rstrip(),
                "use --api-version 3, or leave it out to detect the version",
            )
        if wanted == 3 and api.version != 3:
            raise RhevError(f"{settings.origin} does not offer API v3 (oVirt 4.4 removed it)",
                            "use --api-version 4, or leave it out")
        client.api_version = api.version
        return api
    if wanted == 3:
        raise RhevHTTPError(
            f"{settings.origin} does not offer API v3 (tried {', '.join(tried)})", 404, settings.origin,
            "use --api-version 4, or leave it out",
        )
    raise RhevHTTPError(
        f"no oVirt/RHEV API at {settings.origin} (tried {', '.join(tried)})", 404, settings.origin,
        "check the host name and port (RHEV 3.0/3.1 listen on 8443)",
    )
