"""``rscan --save DIR`` never loses the scan, saves every guest it can, privately.

The scan is printed and recorded first, then saved. Guest names that collide
once made safe for a file name are all saved (the UUID is in the file name);
a guest or folder that cannot be written is named, the others are saved and
the exit status is 1. What the save creates is 0700/0600; what exists keeps
its mode.
"""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

from click.testing import CliRunner

from tests.inventory.rows import Rows
from vminv.cli.rscan import cli
from vminv.scanner.replay import scan_replay
from vminv.scanner.savereplay import guest_file_name, save_replay

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
WEB01 = (FIXTURES / "replay" / "kvmhost1" / "web01.xml").read_text()


def run(*args: str):
    return CliRunner().invoke(cli, list(args), env={}, catch_exceptions=False)


def _guest(name: str, uuid_tail: str) -> str:
    return (WEB01.replace("<name>web01</name>", f"<name>{name}</name>")
            .replace("4dea22b3-1d52-d8f3-2516-782e98ab3fa0", f"4dea22b3-1d52-d8f3-2516-{uuid_tail:0>12}"))


def _replay(tmp_path: Path, names: list[str], host: str = "kvmhost1") -> Path:
    folder = tmp_path / "in" / host
    folder.mkdir(parents=True)
    for number, name in enumerate(names, 1):
        (folder / f"{number}.xml").write_text(_guest(name, str(number)), encoding="utf-8")
    return folder.parent


def _names(scan) -> list[str]:
    return sorted(g.name for g in scan.guests)


def test_names_that_collide_once_made_safe_are_all_saved_and_replay_alike(tmp_path):
    names = ["web01", ".web01", "..web01", "web/01", "web\u200b01", "x" * 300, "虚拟机\u202e1"]
    source = _replay(tmp_path, names)
    saved = tmp_path / "saved"
    result = run("--replay", str(source), "--no-db", "--save", str(saved))
    assert result.exit_code == 0, result.stderr
    files = sorted(p.name for p in (saved / "kvmhost1").glob("*.xml"))
    assert len(files) == len(names)
    assert all(len(name.encode()) <= 255 and not name.startswith(".") for name in files)
    assert not any(c in "".join(files) for c in "\u200b\u202e/")
    assert _names(scan_replay(saved)) == sorted(names)


def test_old_and_new_file_names_replay_together(tmp_path):
    source = _replay(tmp_path, ["web01", "db01"])
    saved = tmp_path / "saved"
    assert save_replay(scan_replay(source, keep_xml=True), saved).complete
    folder = saved / "kvmhost1"
    new_name = next(folder.glob("db01_*.xml"))
    new_name.rename(folder / "db01.xml")  # as older versions named it
    scan = scan_replay(saved)
    assert _names(scan) == ["db01", "web01"] and not scan.hosts[0].problems


def test_an_unwritable_save_folder_keeps_the_scan_printed_and_recorded(tmp_path):
    source = _replay(tmp_path, ["web01"])
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    db = tmp_path / "inv.db"
    result = run("--replay", str(source), "--db", str(db), "--save", str(blocker / "sub"))
    assert result.exit_code == 1
    assert "web01" in result.stdout  # printed
    assert Rows(db)["scans"].count == 1  # recorded
    lines = result.stderr.strip().splitlines()
    assert any("cannot create" in line and "sub" in line for line in lines)
    assert "incomplete" in lines[-1] and "recorded" in lines[-1]


def test_a_guest_that_cannot_be_saved_is_named_and_the_rest_are_saved(tmp_path):
    source = _replay(tmp_path, ["web01", "db01", "app01"])
    saved = tmp_path / "saved"
    scan = scan_replay(source, keep_xml=True)
    db01 = next(g for g in scan.guests if g.name == "db01")
    (saved / "kvmhost1" / guest_file_name(db01)).mkdir(parents=True)  # in the way
    result = run("--replay", str(source), "--no-db", "--save", str(saved))
    assert result.exit_code == 1
    assert "guest 'db01' not saved" in result.stderr
    assert "saved 2 guest(s) of 1 host(s)" in result.stderr
    replayed = scan_replay(saved)
    assert _names(replayed) == ["app01", "web01"]
    assert "a directory" in replayed.hosts[0].problems[0].message  # the obstacle, named on replay


def test_a_link_or_fifo_in_the_save_folder_is_never_written_through(tmp_path):
    source = _replay(tmp_path, ["web01", "db01"])
    scan = scan_replay(source, keep_xml=True)
    saved = tmp_path / "saved"
    (saved / "kvmhost1").mkdir(parents=True)
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    web01, db01 = (next(g for g in scan.guests if g.name == n) for n in ("web01", "db01"))
    (saved / "kvmhost1" / guest_file_name(web01)).symlink_to(victim)
    os.mkfifo(saved / "kvmhost1" / guest_file_name(db01))
    reports = []
    # In a thread: a save that opened the FIFO would wait for a reader for ever.
    worker = threading.Thread(target=lambda: reports.append(save_replay(scan, saved)), daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert reports, "the save blocked on a FIFO in its folder"
    assert {p.guest for p in reports[0].problems} == {"web01", "db01"}
    assert victim.read_text() == "keep me"


def test_created_folders_and_files_are_private_existing_modes_are_kept(tmp_path):
    old_umask = os.umask(0o022)
    try:
        source = _replay(tmp_path, ["web01"])
        scan = scan_replay(source, keep_xml=True)
        fresh = tmp_path / "a" / "b"
        assert save_replay(scan, fresh).complete
        for path in (tmp_path / "a", fresh, fresh / "kvmhost1"):
            assert stat.S_IMODE(path.stat().st_mode) == 0o700, path
        for path in (fresh / "kvmhost1").iterdir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        # An existing folder and file keep what their owner chose.
        shared = tmp_path / "shared"
        (shared / "kvmhost1").mkdir(parents=True)
        os.chmod(shared, 0o755)
        os.chmod(shared / "kvmhost1", 0o750)
        (shared / "kvmhost1" / "host.json").write_text("{}")
        os.chmod(shared / "kvmhost1" / "host.json", 0o644)
        assert save_replay(scan, shared).complete
        assert stat.S_IMODE(shared.stat().st_mode) == 0o755
        assert stat.S_IMODE((shared / "kvmhost1").stat().st_mode) == 0o750
        assert stat.S_IMODE((shared / "kvmhost1" / "host.json").stat().st_mode) == 0o644
        assert json.loads((shared / "kvmhost1" / "host.json").read_text())["states"]
    finally:
        os.umask(old_umask)


def test_saving_a_replay_onto_itself_is_refused(tmp_path):
    source = _replay(tmp_path, ["web01"])
    result = run("--replay", str(source), "--no-db", "--save", str(source))
    assert result.exit_code == 2 and "folder being replayed" in result.stderr


def test_a_graphics_password_in_replayed_xml_never_reaches_the_inventory_or_a_save(tmp_path):
    # virsh dumpxml --security-info shows the VNC/SPICE password; what we keep must not.
    secret = "s3cr3t>pw"
    xml = WEB01.replace("<graphics type='vnc'", f"<graphics type='vnc' passwd='{secret}'", 1)
    assert secret in xml
    folder = tmp_path / "in" / "kvmhost1"
    folder.mkdir(parents=True)
    (folder / "web01.xml").write_text(xml, encoding="utf-8")
    db, saved = tmp_path / "inv.db", tmp_path / "saved"
    result = run("kvmhost1", "--replay", str(tmp_path / "in"), "--db", str(db), "-w", "--save", str(saved),
                 "--format", "json")
    assert result.exit_code == 0, result.output
    assert '"password_set": true' in result.stdout
    kept = Rows(db).scalar("SELECT xml FROM kvm_nodedata WHERE node = 'web01'")
    assert "<graphics type='vnc'" in kept and "passwd" not in kept
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("inv.db"))
    assert secret.encode() not in stored
    for path in saved.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(encoding="utf-8"), path
