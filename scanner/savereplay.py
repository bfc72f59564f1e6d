"""Write a scan as a replay folder (``rscan --save DIR``): ``DIR/HOST/NAME_UUID.xml``, ``host.json``, ``disk_sizes.json``.

The folder describes the whole fleet, so what is created here is private:
folders 0700, files 0600 (modes of folders and files that already exist are
left alone). Nothing that goes wrong here is fatal: a host or guest that
cannot be written is named in the report and the rest is written, because the
scan itself was already shown and recorded.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from vminv.errors import ReplayError
from vminv.privatedirs import make_private_dirs
from vminv.scanner.disksizes import DISK_SIZES_FILE, disk_sizes_document
from vminv.scanner.model import GuestRecord, HostResult, ScanResult
from vminv.scanner.replay import HOST_FILE

FILE_MODE = 0o600
# File names hold at most 255 bytes; the UUID, separator and suffix take 41 of them.
_NAME_BYTES = 160
_KEPT_PUNCTUATION = frozenset("._-+=@,")


@dataclass(frozen=True)
class SaveProblem:
    host: str | None  # None: the folder DIR itself
    guest: str | None  # None: the host's folder or host.json
    message: str

    def line(self) -> str:
        where = f"{self.host}: guest {self.guest!r}" if self.guest is not None else (self.host or "the folder")
        return f"{where} not saved: {self.message}"


@dataclass(frozen=True)
class SaveReport:
    directory: Path
    hosts: int  # host folders written (host.json included)
    guests: int  # domain files written
    problems: tuple[SaveProblem, ...]

    @property
    def complete(self) -> bool:
        return not self.problems


def guest_file_name(guest: GuestRecord) -> str:
    """``NAME_UUID.xml``: readable, and unique per host whatever the names are.

    Guest names are the guest owner's: ``web01``, ``.web01`` and ``..web01``
    must not land in one file, a name must not climb out of the folder, hide
    the file (a leading dot) or exceed the file system's name length, and no
    control or bidi character reaches a file name. A replay reads any
    ``*.xml``, so folders saved with the older ``NAME.xml`` names still replay.
    """
    safe = "".join(c if c.isalnum() or c in _KEPT_PUNCTUATION else "_" for c in guest.name).lstrip(".")
    encoded = safe.encode("utf-8")[:_NAME_BYTES]
    safe = encoded.decode("utf-8", "ignore")  # never half a character
    return f"{safe}_{guest.uuid}.xml" if safe else f"{guest.uuid}.xml"


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, created 0600 (an existing file keeps its mode).

    Never through a symbolic link planted in the folder (``O_NOFOLLOW``), never
    blocked by a FIFO there (``O_NONBLOCK``: no reader is an error), never into
    anything but a regular file.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    fd = os.open(path, flags, FILE_MODE)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise IsADirectoryError(21, "not a regular file", str(path))
        os.set_blocking(fd, True)
        os.ftruncate(fd, 0)
        data = text.encode("utf-8")
        while data:
            data = data[os.write(fd, data):]
    finally:
        os.close(fd)


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _host_problem(host: HostResult) -> str | None:
    name = host.name
    if not name or name in (".", "..") or "/" in name or "\0" in name or name.startswith("."):
        return "its name cannot be a folder name in a replay"
    if len(name.encode("utf-8")) > 255:
        return "its name is longer than a folder name can be"
    return None


def save_replay(scan: ScanResult, directory: Path) -> SaveReport:
    """Write a scan kept with its XML as a replay folder.

    Scanning the folder with :func:`vminv.scanner.replay.scan_replay` gives back
    the same guests, states and facts (for air-gapped audits: scan inside,
    audit outside). Failed hosts get no folder. Raises :class:`ReplayError`
    only when the scan did not keep its XML; everything else is in the report.
    """
    if scan.guests and not scan.domain_xml:
        raise ReplayError("this scan did not keep its domain XML", "scan with keep_xml=True to save it")
    try:
        make_private_dirs(directory)
    except OSError as exc:
        return SaveReport(directory, 0, 0, (SaveProblem(None, None, f"cannot create {directory}: {_reason(exc)}"),))
    problems: list[SaveProblem] = []
    hosts = guests_saved = 0
    by_host: dict[str, list[GuestRecord]] = {}
    for guest in scan.guests:
        by_host.setdefault(guest.hypervisor, []).append(guest)
    for host in scan.hosts:
        if not host.ok:
            continue
        refused = _host_problem(host)
        folder = directory / host.name
        try:
            if refused:
                raise ValueError(refused)
            make_private_dirs(folder)
        except (OSError, ValueError) as exc:
            problems.append(SaveProblem(host.name, None, _reason(exc) if isinstance(exc, OSError) else str(exc)))
            continue
        states: dict[str, str] = {}
        for guest in by_host.get(host.name, ()):
            xml = scan.domain_xml.get((host.name, guest.uuid))
            if xml is None:
                continue
            try:
                _write_private(folder / guest_file_name(guest), xml)
            except OSError as exc:
                problems.append(SaveProblem(host.name, guest.name, _reason(exc)))
                continue
            states[guest.uuid] = guest.state
            guests_saved += 1
        meta = {"uri": host.uri, "facts": host.facts.to_dict() if host.facts else None, "states": states}
        # Written even when empty: a folder saved over must not keep an older scan's sizes.
        sizes = disk_sizes_document([g for g in by_host.get(host.name, ()) if g.uuid in states])
        try:
            for name, document in ((DISK_SIZES_FILE, sizes), (HOST_FILE, meta)):
                _write_private(folder / name, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        except OSError as exc:
            problems.append(SaveProblem(host.name, None, f"{name}: {_reason(exc)}"))
            continue
        hosts += 1
    return SaveReport(directory, hosts, guests_saved, tuple(problems))
