"""Credentials go only to the origin (scheme, host, port) of the engine URL the user gave.

A link in an engine document to another origin, a redirect to one (API or SSO
token request) is a one-line engine error and is never followed. A second
HTTPS server on another port of 127.0.0.1 records what it would have received.
"""

from __future__ import annotations

import pytest

from tests.engine_sim import EngineMode, Recorder
from tests.rhev.conftest import settings_for
from vminv.errors import RhevError
from vminv.rhev.ca import fetch_ca
from vminv.rhev.errors import RhevForeignOriginError
from vminv.rhev.model import EngineApi
from vminv.rhev.snapshot import read_engine, vm_href

API = EngineApi(version=4, base_path="/ovirt-engine/api", product_name=None, vendor=None, product_version=None,
                major=4, minor=3, links=())


@pytest.mark.parametrize("engine_version", ["4.3", "3.6"])  # bearer token / Basic + JSESSIONID cookie
def test_a_link_to_another_port_is_not_followed(start_engine, pki, engine_version: str) -> None:
    with Recorder(pki) as other:
        engine = start_engine(EngineMode(version=engine_version, link_origin=other.url))
        with pytest.raises(RhevForeignOriginError) as info:
            read_engine(settings_for(engine, pki), parts={"hosts"})
        assert other.calls == []
    message = str(info.value)
    assert "\n" not in message and other.url in message and engine.url in message
    assert engine.password not in message


@pytest.mark.parametrize("link", ["//evil.example.com/ovirt-engine/api", "http://{host}", "https://{host}:1",
                                  "HTTPS://EVIL.example.com", "https://user@{host}"])
def test_every_foreign_form_of_a_link_is_refused(start_engine, pki, link: str) -> None:
    engine = start_engine()
    origin = link.format(host=f"127.0.0.1:{engine.port}") if "{host}" in link else link
    if origin.startswith("https://user@"):
        origin = origin.replace(f":{engine.port}", ":1")
    engine.mode.link_origin = origin
    with pytest.raises(RhevForeignOriginError):
        read_engine(settings_for(engine, pki), parts={"hosts"})


def test_the_same_origin_written_differently_is_the_same(start_engine, pki) -> None:
    engine = start_engine(EngineMode())
    engine.mode.link_origin = f"HTTPS://127.0.0.1:{engine.port}"
    assert len(read_engine(settings_for(engine, pki), parts={"hosts"}).hosts) == 5


def test_an_api_redirect_to_another_origin_is_not_followed(start_engine, pki) -> None:
    with Recorder(pki) as other:
        engine = start_engine(EngineMode(redirect_api_to=other.url))
        with pytest.raises(RhevForeignOriginError, match="redirect") as info:
            read_engine(settings_for(engine, pki), parts={"hosts"})
        assert other.calls == []
    assert other.url in str(info.value)


@pytest.mark.parametrize("to", ["other", "http"])
def test_an_sso_token_redirect_to_another_origin_is_refused(start_engine, pki, to: str) -> None:
    with Recorder(pki) as other:
        engine = start_engine()
        engine.mode.redirect_sso_to = other.url if to == "other" else engine.url.replace("https:", "http:")
        with pytest.raises(RhevForeignOriginError, match="redirect"):
            read_engine(settings_for(engine, pki), parts={"hosts"})
        assert other.credentials_seen() == []
    # Never fell back to sending the password as HTTP Basic after the redirect.
    assert [path for path in engine.paths() if "/api" in path] == []


def test_a_redirect_within_the_origin_is_followed(start_engine, pki) -> None:
    engine = start_engine(EngineMode(api_alias="/rest"))
    snapshot = read_engine(settings_for(engine, pki, url=engine.url + "/rest"), parts={"hosts"})
    assert len(snapshot.hosts) == 5
    assert ("GET", "/rest", 301) in engine.requests


def test_a_redirect_loop_within_the_origin_ends_in_one_line(start_engine, pki) -> None:
    engine = start_engine()
    engine.mode.redirect_api_to = engine.url
    with pytest.raises(RhevError) as info:
        read_engine(settings_for(engine, pki), parts={"hosts"})
    assert "302" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("vm_id", ["../../hosts", "x?search=name%3D*", "x#y", "//evil.example.com/x"])
def test_an_engine_id_stays_one_path_segment(vm_id: str) -> None:
    href = vm_href(API, vm_id, "nics")
    assert href.startswith("/ovirt-engine/api/vms/") and href.endswith("/nics")
    assert href.count("/") == 5 and "?" not in href and "#" not in href


def test_a_huge_foreign_link_gives_a_short_line(start_engine, pki) -> None:
    engine = start_engine()
    engine.mode.link_origin = "https://" + "a" * 5000 + ".example.com"
    with pytest.raises(RhevForeignOriginError) as info:
        read_engine(settings_for(engine, pki), parts={"hosts"})
    assert len(str(info.value)) < 600


@pytest.mark.parametrize("origin", ["https://[::1", "https://[zz]", "https://host:99999", "https://h:port"])
def test_a_malformed_foreign_link_is_the_same_one_line(start_engine, pki, origin: str) -> None:
    engine = start_engine()
    engine.mode.link_origin = origin
    with pytest.raises(RhevForeignOriginError):
        read_engine(settings_for(engine, pki), parts={"hosts"})


def test_a_malformed_redirect_is_the_same_one_line(start_engine, pki) -> None:
    engine = start_engine()
    engine.mode.redirect_api_to = "https://[::1"
    with pytest.raises(RhevForeignOriginError):
        read_engine(settings_for(engine, pki), parts={"hosts"})


@pytest.mark.parametrize("to", ["https://[::1", "https://other.example.com"])
def test_the_ca_download_never_follows_a_redirect(start_engine, pki, to: str) -> None:
    engine = start_engine()
    engine.mode.redirect_pki_to = to
    with pytest.raises(RhevError) as info:
        fetch_ca(settings_for(engine, pki))
    assert "\n" not in str(info.value)
