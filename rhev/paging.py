"""Reading a whole collection, page by page.

Paging is the ``page N`` clause of ``search`` with a page size of ``max``. v4
takes ``max`` as a query parameter; v3 only as a matrix parameter
(``/api/vms;max=500``) and RHEV 3.0-3.3 silently cut a collection to 100 rows
without it. Pages are not snapshot-consistent, so objects are de-duplicated by
id, and reading stops at the first short page (or a page with nothing new,
should an engine ignore ``page``).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from lxml import etree

from vminv.rhev.client import EngineClient
from vminv.rhev.model import EngineApi
from vminv.rhev.parse import collection_items

Element = etree._Element


def collection_href(api: EngineApi, rel: str) -> str:
    """The collection's href from the entry document's links, else base/rel."""
    href = api.link(rel)
    if href and "{" not in href and "?" not in href:
        return href
    return f"{api.base_path}/{rel}"


def _query(params: list[tuple[str, str]]) -> str:
    # Spaces as %20, never "+": the engine's search parser is fed the decoded text.
    return "&".join(f"{key}={quote(value, safe=',')}" for key, value in params)


def read_pages(
    client: EngineClient,
    api: EngineApi,
    rel: str,
    plural: str,
    *,
    follow: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Element]:
    """Every object of a searchable collection (vms, hosts, clusters, ...)."""
    href = collection_href(api, rel)
    size = client.settings.page_size
    seen: set[str] = set()
    items: list[Element] = []
    page = 1
    while True:
        params = [("search", f"sortby name asc page {page}")]
        if api.version >= 4:
            params.insert(0, ("max", str(size)))
            path = href
        else:
            path = f"{href};max={size}"
        if follow:
            params.append(("follow", follow))
        label = f"GET {href} (page {page})"
        root = client.get_xml(f"{path}?{_query(params)}", what=label)
        batch = collection_items(root, plural, label)
        new = 0
        for element in batch:
            identifier = element.get("id") or ""
            if identifier in seen:
                continue
            seen.add(identifier)
            items.append(element)
            new += 1
        if progress is not None:
            progress(f"{rel}: page {page}, {len(items)} so far")
        if len(batch) < size or new == 0:
            return items
        page += 1


def read_whole(client: EngineClient, api: EngineApi, href: str, plural: str) -> list[Element]:
    """A collection that is not searchable (vnicprofiles, a VM's nics): one request."""
    label = f"GET {href}"
    return collection_items(client.get_xml(href, what=label), plural, label)
