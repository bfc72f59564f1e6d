"""The client against the simulated engine over real HTTPS: discovery, auth, TLS, errors, paging."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest
import requests

from tests.engine_sim import EngineMode, generate, load
from tests.rhev.conftest import ENGINE_FIXTURES, settings_for
from vminv.errors import RhevError, UsageError
from vminv.rhev.ca import fetch_ca, fingerprint_sha256, save_ca
from vminv.rhev.client import EngineClient
from vminv.rhev.discovery import discover
from vminv.rhev.errors import (
    RhevAuthError,
    RhevConnectionError,
    RhevHTTPError,
    RhevTimeoutError,
    RhevTLSError,
)
from vminv.rhev.settings import EngineSettings
from vminv.rhev.snapshot import read_engine


@pytest.mark.parametrize(
    ("engine_version", "wanted", "api_version", "base"),
    [
        ("4.3", None, 4, "/ovirt-engine/api"),
        ("4.3", 3, 3, "/ovirt-engine/api"),  # 4.0-4.3 answer v3 for Version: 3
        ("4.4", None, 4, "/ovirt-engine/api"),
        ("3.6", None, 3, "/ovirt-engine/api"),  # 3.4-3.6 serve both paths, v3 only
        ("3.2", None, 3, "/api"),  # 3.0-3.3: /api only
    ],
)
def test_discovery(start_engine, pki, engine_version: str, wanted: int | None, api_version: int, base: str) -> None:
    engine = start_engine(EngineMode(version=engine_version))
    with EngineClient(settings_for(engine, pki, api_version=wanted)) as client:
        api = discover(client)
        assert (api.version, api.base_path) == (api_version, base)
        assert client.api_version == api_version
    # Every API request carried the Version header the client chose (checked by the engine's answer
    # shape above); 4.x used an SSO token, 3.x fell back to Basic.
    assert any("/sso/oauth/token" in p for p in engine.paths())


def test_sso_token_is_used_and_revoked(start_engine, pki) -> None:
    engine = start_engine()
    snapshot = read_engine(settings_for(engine, pki), parts={"hosts"})
    assert len(snapshot.hosts) == 5
    assert engine.sessions == set()  # no Basic sessions: the bearer token was used
    assert engine.tokens == set()  # logged out at the end
    assert engine.paths()[-1] == "/ovirt-engine/services/sso-logout"


def test_basic_auth_on_rhev_3(start_engine, pki) -> None:
    engine = start_engine(EngineMode(version="3.6"))
    snapshot = read_engine(settings_for(engine, pki), parts={"hosts"})
    assert snapshot.api.version == 3 and len(snapshot.hosts) == 5
    assert engine.sessions  # Basic with Prefer: persistent-auth opened a JSESSIONID session


def test_forcing_a_version_the_engine_lacks(start_engine, pki) -> None:
    v4_only = start_engine(EngineMode(version="4.4"))
    with pytest.raises(RhevError, match="does not offer API v3"):
        read_engine(settings_for(v4_only, pki, api_version=3), parts={"hosts"})
    v3_only = start_engine(EngineMode(version="3.6"))
    with pytest.raises(RhevError, match="speaks only API v3"):
        read_engine(settings_for(v3_only, pki, api_version=4), parts={"hosts"})


@pytest.mark.parametrize("engine_version", ["4.3", "3.6", "3.2"])
def test_bad_password(start_engine, pki, engine_version: str) -> None:
    engine = start_engine(EngineMode(version=engine_version))
    settings = settings_for(engine, pki, password="wrong-password")
    with pytest.raises(RhevAuthError) as info:
        read_engine(settings)
    message = str(info.value)
    assert "\n" not in message and "wrong-password" not in message
    assert "admin@internal" in message
    if engine_version == "4.3":
        assert "The username or password is incorrect" in message  # the SSO error, not a traceback
    else:
        assert "401" in message  # Basic: 401 (HTML page on 4.x, empty body on 3.x)


def test_html_401_page_gives_a_clear_error(start_engine, pki) -> None:
    engine = start_engine()
    settings = settings_for(engine, pki)
    with EngineClient(settings) as client:
        discover(client)
        client._token = "not-a-valid-token"  # as if it expired and the engine restarted
        client.settings = dataclasses.replace(settings, password="changed-meanwhile")
        with pytest.raises(RhevAuthError, match="refused the login"):
            client.get_xml("/ovirt-engine/api/vms")
    raw = requests.get(engine.url + "/ovirt-engine/api", verify=str(pki.ca_file), timeout=5)
    assert raw.status_code == 401 and raw.headers["WWW-Authenticate"] == 'Basic realm="RESTAPI"'
    assert raw.headers["Content-Type"].startswith("text/html")


def test_expired_token_is_renewed_once(start_engine, pki) -> None:
    engine = start_engine()
    with EngineClient(settings_for(engine, pki)) as client:
        discover(client)
        engine.tokens.clear()  # the engine forgot every token
        root = client.get_xml("/ovirt-engine/api/hosts")
        assert len(root) == 5
    assert sum(1 for p in engine.paths() if p.endswith("/sso/oauth/token")) == 2


def test_wrong_ca_is_refused(start_engine, pki) -> None:
    engine = start_engine()
    with pytest.raises(RhevTLSError) as info:
        read_engine(settings_for(engine, pki, ca_file=pki.other_ca_file))
    assert "certificate verify failed" in str(info.value)
    assert "vminv ca" in str(info.value)
    assert engine.requests == []  # nothing, not even the password, was sent


def test_system_store_does_not_trust_the_engine_and_insecure_does(start_engine, pki) -> None:
    engine = start_engine()
    with pytest.raises(RhevTLSError):
        read_engine(settings_for(engine, pki, ca_file=None), parts={"clusters"})
    snapshot = read_engine(settings_for(engine, pki, ca_file=None, insecure=True), parts={"clusters"})
    assert len(snapshot.clusters) == 2


def test_timeout(start_engine, pki) -> None:
    engine = start_engine(EngineMode(delay_s=1.0))
    started = time.monotonic()
    with pytest.raises(RhevTimeoutError) as info:
        read_engine(settings_for(engine, pki, timeout_s=0.2))
    assert time.monotonic() - started < 3
    assert "within 0.2 s" in str(info.value)


def test_connection_refused(pki) -> None:
    settings = EngineSettings(url="https://127.0.0.1:9", password="x", ca_file=pki.ca_file, retries=1, backoff_s=0.01)
    with pytest.raises(RhevConnectionError, match="after 2 attempts \\(connection refused\\)"):
        read_engine(settings)


def test_transient_errors_are_retried(start_engine, pki) -> None:
    engine = start_engine(EngineMode(transient_503=2, reset_first=1))
    snapshot = read_engine(settings_for(engine, pki, retries=3), parts={"hosts"})
    assert len(snapshot.hosts) == 5
    statuses = [status for _, path, status in engine.requests if path.startswith("/ovirt-engine/api")]
    assert statuses[:4] == [0, 503, 503, 200]  # a reset, two 503s, then success


def test_retries_give_up(start_engine, pki) -> None:
    engine = start_engine(EngineMode(transient_503=10))
    with pytest.raises(RhevHTTPError, match="503"):
        read_engine(settings_for(engine, pki, retries=2), parts={"hosts"})


def test_a_500_in_the_middle_of_paging(start_engine, pki) -> None:
    scenario = generate({"vms": 1200, "hosts": 10, "seed": 7})
    engine = start_engine(EngineMode(fail_page={"vms": (2, 500)}), scenario=scenario)
    with pytest.raises(RhevHTTPError) as info:
        read_engine(settings_for(engine, pki, page_size=500))
    message = str(info.value)
    assert info.value.status == 500
    assert "page 2" in message and "Operation Failed" in message and "Internal Engine Error" in message
    assert engine.tokens == set()  # the session was still closed


def test_paging_v4_5000_vms(start_engine, pki) -> None:
    engine = start_engine(scenario=load(ENGINE_FIXTURES / "big-seed.json"))
    snapshot = read_engine(settings_for(engine, pki, page_size=1000), parts={"vms"}, vm_details=False)
    assert len(snapshot.vms) == 5000 and len({vm.id for vm in snapshot.vms}) == 5000
    vm_pages = [p for p in engine.paths() if p.startswith("/ovirt-engine/api/vms?")]
    # 5 full pages and an empty one: requests grow with pages, not with VMs.
    assert vm_pages == [f"/ovirt-engine/api/vms?max=1000&search=sortby%20name%20asc%20page%20{n}" for n in range(1, 7)]
    assert snapshot.requests_made == 9  # token, entry document, 6 pages, logout
    up = [vm for vm in snapshot.vms if vm.status == "up"]
    assert up and all(vm.host_id for vm in up)


def test_follow_brings_nics_and_disks_in_the_listing(start_engine, pki) -> None:
    engine = start_engine()  # 4.3: follow= exists from 4.2
    snapshot = read_engine(settings_for(engine, pki, page_size=5))
    vm_pages = [p for p in engine.paths() if p.startswith("/ovirt-engine/api/vms?")]
    assert len(vm_pages) == 4 and all("follow=nics,disk_attachments" in p for p in vm_pages)
    assert not [p for p in engine.paths() if p.endswith("/nics") or p.endswith("/diskattachments")]
    big = next(vm for vm in snapshot.vms if vm.name == "big01")
    assert big.nics is not None and [n.mac for n in big.nics] == ["00:1a:4a:16:01:09"]
    assert big.disks is not None and len(big.disks) == 2
    assert all(d.provisioned_size_bytes == 20 * 2**30 and d.format == "cow" for d in big.disks)  # joined with /disks
    network = snapshot.network_of(big.nics[0])  # v4: through the vNIC profile
    assert network is not None and network.name == "ovirtmgmt"


def test_paging_v3_uses_the_matrix_parameter(start_engine, pki) -> None:
    scenario = generate({"vms": 1200, "hosts": 10, "seed": 3})
    engine = start_engine(EngineMode(version="3.6"), scenario=scenario)
    snapshot = read_engine(settings_for(engine, pki, page_size=500), parts={"vms"}, vm_details=False)
    assert len(snapshot.vms) == 1200
    pages = [p for p in engine.paths() if "/vms;" in p]
    assert pages == [f"/ovirt-engine/api/vms;max=500?search=sortby%20name%20asc%20page%20{n}" for n in (1, 2, 3)]


def test_rhev_3_0_cuts_at_100_rows_without_max(start_engine, pki) -> None:
    scenario = generate({"vms": 250, "hosts": 5, "seed": 11})
    engine = start_engine(EngineMode(version="3.0"), scenario=scenario)
    naive = requests.get(engine.url + "/api/vms", auth=(engine.user, engine.password),
                         verify=str(pki.ca_file), timeout=5)
    assert naive.content.count(b"<vm ") == 100  # what a client without ;max= silently gets
    snapshot = read_engine(settings_for(engine, pki, page_size=500))
    assert snapshot.api.base_path == "/api" and len(snapshot.vms) == 250
    assert all(vm.nics is not None for vm in snapshot.vms)  # per-VM reads: no follow= in v3
    assert snapshot.hosts[0].hardware_uuid is None  # 3.0 has no hardware_information


def test_engine_without_follow_reads_per_vm(start_engine, pki) -> None:
    engine = start_engine(EngineMode(version="4.1"))
    snapshot = read_engine(settings_for(engine, pki))
    per_vm = [p for p in engine.paths() if p.endswith("/nics")]
    assert len(per_vm) == len(snapshot.vms)
    web = next(vm for vm in snapshot.vms if vm.name == "web01")
    assert web.nics and web.nics[0].mac == "00:1a:4a:16:01:01"
    assert web.disks and web.disks[0].format == "cow" and web.disks[0].bootable is True


def test_fetch_and_save_ca(start_engine, pki, tmp_path: Path) -> None:
    engine = start_engine()
    ca = fetch_ca(EngineSettings(url=engine.url, timeout_s=5))
    assert ca.pem.strip() == pki.ca_pem.strip()
    assert ca.sha256 == fingerprint_sha256(pki.ca_pem) and len(ca.sha256) == 95
    target = tmp_path / "conf" / "engine-ca.pem"
    save_ca(ca, target)
    snapshot = read_engine(settings_for(engine, pki, ca_file=target), parts={"clusters"})
    assert len(snapshot.clusters) == 2


def test_fetch_ca_from_rhev_3_legacy_path(start_engine, pki) -> None:
    engine = start_engine(EngineMode(version="3.1"))  # no pki-resource before 3.2
    ca = fetch_ca(EngineSettings(url=engine.url, timeout_s=5))
    assert ca.source_url.endswith("/ca.crt")


@pytest.mark.parametrize(
    ("values", "text"),
    [
        ({"url": "rhevm.example.com"}, "https://HOST"),
        ({"url": "https://rhevm", "user": "admin"}, "user@profile"),
        ({"url": "https://rhevm", "api_version": 5}, "use 3 or 4"),
    ],
)
def test_settings_validation(values: dict[str, object], text: str) -> None:
    with pytest.raises(UsageError, match=text):
        EngineSettings(**values)  # type: ignore[arg-type]


def test_password_is_not_in_repr() -> None:
    assert "s3cret" not in repr(EngineSettings(url="https://e", password="s3cret"))


def test_a_body_cut_off_half_way_is_retried(start_engine, pki) -> None:
    engine = start_engine(EngineMode(truncate_first=1))
    snapshot = read_engine(settings_for(engine, pki, retries=2), parts={"hosts"})
    assert len(snapshot.hosts) == 5
    statuses = [status for _, path, status in engine.requests if path.startswith("/ovirt-engine/api")]
    assert statuses[:2] == [-1, 200]  # the cut-off answer, then the retry


def test_bodies_always_cut_off_give_one_line(start_engine, pki) -> None:
    engine = start_engine(EngineMode(truncate_first=10))
    with pytest.raises(RhevConnectionError) as info:
        read_engine(settings_for(engine, pki, retries=1), parts={"hosts"})
    assert "connection broken in the middle of an answer" in str(info.value) and "\n" not in str(info.value)


def test_403_with_a_fault_is_a_one_line_auth_error(start_engine, pki) -> None:
    engine = start_engine(EngineMode(forbidden=frozenset({"hosts"})))
    with pytest.raises(RhevAuthError) as info:
        read_engine(settings_for(engine, pki), parts={"hosts"})
    message = str(info.value)
    assert "403 Forbidden" in message and "User is not authorized to perform this action" in message
    assert "\n" not in message and "administrator" in message


def test_pages_that_overlap_are_de_duplicated_by_id(start_engine, pki) -> None:
    scenario = generate({"vms": 1200, "hosts": 10, "seed": 5})
    for version in ("4.3", "3.6"):
        engine = start_engine(EngineMode(version=version, page_shift=7), scenario=scenario)
        snapshot = read_engine(settings_for(engine, pki, page_size=500), parts={"vms"}, vm_details=False)
        assert len(snapshot.vms) == 1200 and len({vm.id for vm in snapshot.vms}) == 1200


@pytest.mark.parametrize(
    ("url", "text"),
    [
        ("https://127.0.0.1:99999", "is not usable"),  # port out of range
        ("https://127.0.0.1:abc", "is not usable"),
        ("https://[::1", "is not usable"),
        ("https://exa mple.com", "is not usable"),
        ("https://rhevm?x=1", "is not usable"),
        ("http://rhevm.example.com", "plain HTTP"),
    ],
)
def test_unusable_urls_are_usage_errors(url: str, text: str) -> None:
    with pytest.raises(UsageError, match=text.replace("?", "\\?")):
        EngineSettings(url=url, password="x")


def test_plain_http_only_with_insecure() -> None:
    assert EngineSettings(url="http://rhevm.example.com", password="x", insecure=True).origin == \
        "http://rhevm.example.com"


def test_url_paths_other_than_the_api_still_find_it(start_engine, pki) -> None:
    engine = start_engine()
    snapshot = read_engine(settings_for(engine, pki, url=engine.url + "/ovirt-engine/"), parts={"clusters"})
    assert snapshot.api.base_path == "/ovirt-engine/api" and len(snapshot.clusters) == 2


def test_a_v3_url_means_api_v3(start_engine, pki) -> None:
    engine = start_engine()  # 4.3 serves both; v4 unless asked
    snapshot = read_engine(settings_for(engine, pki, url=engine.url + "/ovirt-engine/api/v3"), parts={"clusters"})
    assert snapshot.api.version == 3


def test_tls_message_is_clean(start_engine, pki) -> None:
    engine = start_engine()
    with pytest.raises(RhevTLSError) as info:
        read_engine(settings_for(engine, pki, ca_file=pki.other_ca_file))
    message = str(info.value)
    assert "_ssl.c" not in message and message.count("(") == message.count(")")


@pytest.mark.parametrize("url", ["https://a..b", "https://ü..x"])
def test_invalid_host_names_are_usage_errors(url: str) -> None:
    with pytest.raises(UsageError, match="invalid host name"):
        EngineSettings(url=url, password="x")


@pytest.mark.parametrize("url", ["https://admin@internal:s3cret@rhevm", "https://admin:s3cret@rhevm:abc"])
def test_credentials_in_the_url_are_refused_and_not_repeated(url: str) -> None:
    with pytest.raises(UsageError) as info:
        EngineSettings(url=url, password="x")
    assert "s3cret" not in str(info.value) and "admin" not in str(info.value)
