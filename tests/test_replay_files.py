"""A replay reads regular files only, no larger than the one limit live XML has too.

A FIFO named ``*.xml`` would block the scan for ever, a link to ``/dev/zero``
would fill memory: each is skipped with a problem naming the file, and the
rest of the folder is scanned. The scan runs in a child process with a memory
limit and a timeout, so that a regression fails the test instead of the machine.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vminv.errors import DomainXMLError
from vminv.scanner.domainxml import parse_domain
from vminv.scanner.replay import read_regular_file
from vminv.scanner.xmlparse import MAX_HOST_DOCUMENT_BYTES

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
GOOD = FIXTURES / "replay" / "kvmhost1" / "web01.xml"

SCAN = """
import json, sys
from pathlib import Path
from vminv.scanner.replay import scan_replay
scan = scan_replay(Path(sys.argv[1]))
print(json.dumps({
    "guests": [g.name for g in scan.guests],
    "problems": {p.domain: p.message for h in scan.hosts for p in h.problems},
}))
"""


def _limited() -> None:
    one_gib = 1 << 30
    resource.setrlimit(resource.RLIMIT_AS, (one_gib * 2, one_gib * 2))


def _scan_in_child(replay: Path) -> dict:
    try:
        done = subprocess.run([sys.executable, "-c", SCAN, str(replay)], capture_output=True, text=True,
                              timeout=60, preexec_fn=_limited)
    except subprocess.TimeoutExpired:
        pytest.fail("the replay hung on a file that is not a regular file")
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.fixture
def hostile_replay(tmp_path: Path) -> Path:
    folder = tmp_path / "replay" / "kvmhost1"
    folder.mkdir(parents=True)
    shutil.copy(GOOD, folder / "web01.xml")
    os.mkfifo(folder / "fifo.xml")
    (folder / "zero.xml").symlink_to("/dev/zero")
    (folder / "urandom.xml").symlink_to("/dev/urandom")
    (folder / "dir.xml").mkdir()
    with open(folder / "huge.xml", "wb") as handle:  # sparse: costs no disk
        handle.truncate(MAX_HOST_DOCUMENT_BYTES + 1)
    (folder / "linked.xml").symlink_to(FIXTURES / "replay" / "kvmhost1" / "db01.xml")
    os.mkfifo(folder / "host.json")
    return folder.parent


def test_non_regular_and_oversized_files_are_skipped_one_by_one(hostile_replay):
    found = _scan_in_child(hostile_replay)
    assert found["guests"] == ["db01", "web01"]  # a link to a regular file is read
    problems = found["problems"]
    assert "a FIFO, not a regular file" in problems["fifo.xml"]
    assert "a character device, not a regular file" in problems["zero.xml"]
    assert "a character device" in problems["urandom.xml"]
    assert "a directory" in problems["dir.xml"]
    assert "over the limit of 10 MiB" in problems["huge.xml"]
    assert "host.json" in problems and "a FIFO" in problems["host.json"]


def test_the_size_limit_is_the_one_live_xml_has(tmp_path):
    # Live: libvirt hands over a str; replay: bytes from a file. One limit for both.
    padding = "<!--" + "x" * MAX_HOST_DOCUMENT_BYTES + "-->"
    big = GOOD.read_text().replace("<devices>", "<devices>" + padding)
    with pytest.raises(DomainXMLError, match="over the limit of 10 MiB"):
        parse_domain(big, "h")
    with pytest.raises(DomainXMLError, match="over the limit of 10 MiB"):
        parse_domain(big.encode(), "h")
    path = tmp_path / "big.xml"
    path.write_text(big)
    with pytest.raises(DomainXMLError, match="over the limit of 10 MiB"):
        read_regular_file(path)
    assert read_regular_file(GOOD) == GOOD.read_bytes()


def test_a_file_that_is_not_utf8_is_a_problem_not_a_traceback(tmp_path):
    from vminv.scanner.replay import scan_replay

    folder = tmp_path / "kvmhost1"
    folder.mkdir()
    text = GOOD.read_text().replace("<domain", "<?xml version='1.0' encoding='ISO-8859-1'?>\n<domain", 1)
    (folder / "latin.xml").write_bytes(text.replace("web team", "équipe web").encode("latin-1"))
    scan = scan_replay(tmp_path, keep_xml=True)
    assert scan.guests == () and "not UTF-8" in scan.hosts[0].problems[0].message
