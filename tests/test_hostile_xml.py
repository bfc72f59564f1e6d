"""Hostile and broken documents: every one is refused with a one-line DomainXMLError.

Nothing is expanded, read or fetched on the way: the entity bomb stays small and
fast, the external entity never reaches the file system, the external DTD never
reaches the network (a real listener on loopback would see the attempt).
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time
from pathlib import Path

import pytest

from vminv.errors import DomainXMLError
from vminv.scanner.domainxml import parse_domain
from vminv.scanner.xmlparse import XMLSyntaxProblem, parse_xml

HOSTILE = Path(__file__).resolve().parent.parent / "fixtures" / "hostile"
HOSTILE_FILES = sorted(p.name for p in HOSTILE.glob("*.xml"))

# What each file must be refused for: a fragment of the message, so that a file that
# fails for an unintended reason (say, a typo making it malformed) is noticed.
REASONS = {
    "bad-memory-unit.xml": "unknown memory unit 'GB2'",
    "bad-mac.xml": "<mac address> '52:54:00:00:00:01|aa:bb:cc:dd:ee:ff!e...' is not a MAC address",
    "bad-memory-value.xml": "'4 GB' is not a whole number",
    "billion-laughs.xml": "",  # refused before or at the DTD; either reason will do
    "empty.xml": "empty document",
    "external-dtd.xml": "DTD",
    "external-entity.xml": "DTD",
    "external-parameter-entity.xml": "DTD",
    "latin1-declared-utf8.xml": "not well-formed",
    "no-uuid.xml": "no <uuid>",
    "not-xml.xml": "not well-formed",
    "root-not-domain.xml": "root element is <network>",
    "truncated.xml": "not well-formed",
}


def test_every_hostile_file_has_a_reason():
    assert sorted(REASONS) == HOSTILE_FILES


@pytest.mark.parametrize("name", HOSTILE_FILES)
def test_hostile_file_is_a_one_line_domain_error(name):
    with pytest.raises(DomainXMLError) as caught:
        parse_domain((HOSTILE / name).read_bytes(), "kvmhost1")
    message = str(caught.value)
    assert message.strip() and "\n" not in message and "\r" not in message
    assert REASONS[name] in message
    assert len(message) < 300


# The latin-1 file is only hostile as bytes: decoded correctly it is a fine document.
TEXT_FILES = [name for name in HOSTILE_FILES if name != "latin1-declared-utf8.xml"]


@pytest.mark.parametrize("name", TEXT_FILES)
def test_hostile_file_as_text_is_refused_too(name):
    text = (HOSTILE / name).read_text(encoding="utf-8")
    with pytest.raises(DomainXMLError):
        parse_domain(text, "kvmhost1")


def test_entity_bomb_is_fast_and_nothing_is_expanded():
    data = (HOSTILE / "billion-laughs.xml").read_bytes()
    started = time.perf_counter()
    for _ in range(20):
        with pytest.raises(DomainXMLError) as caught:
            parse_domain(data, "h")
    elapsed = time.perf_counter() - started
    assert elapsed < 1.0, f"20 entity bombs took {elapsed:.2f}s"
    assert "lol" not in str(caught.value)


def test_small_internal_entity_is_not_expanded_either():
    doc = (
        b"<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY secret 'EXPANDED-TEXT'>]>"
        b"<domain type='kvm'><name>&secret;</name><uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>"
        b"<memory>1024</memory></domain>"
    )
    with pytest.raises(DomainXMLError) as caught:
        parse_domain(doc, "h")
    assert "EXPANDED-TEXT" not in str(caught.value)


def test_external_entity_never_reads_etc_passwd():
    with pytest.raises(DomainXMLError) as caught:
        parse_domain((HOSTILE / "external-entity.xml").read_bytes(), "h")
    assert "root:" not in str(caught.value)


def test_external_entity_never_opens_the_file(tmp_path):
    # A FIFO blocks whoever opens it for reading until a writer comes: if the parser
    # tried to load the entity, the parse would hang and the thread stay alive.
    fifo = tmp_path / "secret"
    os.mkfifo(fifo)
    doc = (
        f"<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY s SYSTEM 'file://{fifo}'>]>"
        "<domain type='kvm'><name>x</name><uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>"
        "<memory>1024</memory><description>&s;</description></domain>"
    ).encode()
    outcome: list[BaseException | None] = []

    def parse() -> None:
        try:
            parse_domain(doc, "h")
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=parse, daemon=True)
    worker.start()
    worker.join(3.0)
    if worker.is_alive():
        with open(fifo, "wb"):  # release the blocked reader before failing
            pass
        worker.join(3.0)
        pytest.fail("the parser opened the external entity's file")
    assert len(outcome) == 1 and isinstance(outcome[0], DomainXMLError)


@pytest.fixture
def loopback_listener():
    """A real TCP listener on 127.0.0.1; yields (port, saw_connection())."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)

    def saw_connection(wait_s: float = 0.3) -> bool:
        # The kernel completes the handshake into the backlog without accept(),
        # so a readable listening socket means someone connected.
        readable, _, _ = select.select([server], [], [], wait_s)
        return bool(readable)

    try:
        yield server.getsockname()[1], saw_connection
    finally:
        server.close()


def test_listener_notices_a_real_connection(loopback_listener):
    port, saw_connection = loopback_listener
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        assert saw_connection(2.0)  # the sensor works, so its silence below means something


@pytest.mark.parametrize("name", ["external-dtd.xml", "external-parameter-entity.xml"])
def test_external_dtd_makes_no_network_request(loopback_listener, name):
    port, saw_connection = loopback_listener
    data = (HOSTILE / name).read_bytes()
    assert b"http://127.0.0.1:9/" in data
    data = data.replace(b"http://127.0.0.1:9/", f"http://127.0.0.1:{port}/".encode())
    with pytest.raises(DomainXMLError):
        parse_domain(data, "h")
    assert not saw_connection()


def test_external_http_entity_makes_no_network_request(loopback_listener):
    port, saw_connection = loopback_listener
    doc = (
        f"<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY x SYSTEM 'http://127.0.0.1:{port}/x'>]>"
        "<domain type='kvm'><name>&x;</name><uuid>4dea22b3-1d52-d8f3-2516-782e98ab3fa0</uuid>"
        "<memory>1024</memory></domain>"
    ).encode()
    with pytest.raises(DomainXMLError):
        parse_domain(doc, "h")
    assert not saw_connection()


@pytest.mark.parametrize("name", HOSTILE_FILES)
def test_parse_xml_raises_its_own_error_for_syntax_problems(name):
    data = (HOSTILE / name).read_bytes()
    try:
        root = parse_xml(data)
    except XMLSyntaxProblem as exc:
        assert "\n" not in str(exc)
    else:
        # Well-formed but not a usable domain: only parse_domain refuses it.
        assert name in {"bad-mac.xml", "bad-memory-unit.xml", "bad-memory-value.xml", "no-uuid.xml",
                        "root-not-domain.xml"}
        assert root.tag in {"domain", "network"}


def test_a_local_dtd_is_never_opened(tmp_path):
    # A FIFO without a writer blocks whoever opens it for reading: a parser option
    # that made libxml2 load the DTD a document names (collect_ids=False does) would
    # hang here instead of refusing the document at once.
    fifo = tmp_path / "domain.dtd"
    os.mkfifo(fifo)
    document = f'<?xml version="1.0"?>\n<!DOCTYPE domain SYSTEM "{fifo}">\n<domain><name>a</name></domain>'.encode()
    outcome: list[BaseException] = []

    def parse() -> None:
        try:
            parse_xml(document)
        except BaseException as exc:  # handed to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=parse, daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():
        with open(fifo, "wb"):  # release the parser: it opened the DTD
            pass
        pytest.fail("the parser opened the DTD the document names")
    assert len(outcome) == 1 and isinstance(outcome[0], XMLSyntaxProblem) and "DTD" in str(outcome[0])
