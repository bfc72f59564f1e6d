"""The floor under ``rscan --replay``: read every domain file and parse it, nothing else.

    python -m bench.replay_floor DIR HOST... [--workers N]

Whatever else a replay does, it starts Python, reads each ``HOST/*.xml`` of
``DIR`` and parses it with the project's one hardened lxml parser
(:func:`vminv.scanner.xmlparse.parse_xml`); this script does exactly that and
no more: no record, no database, no output. ``bench_replay`` times it beside
the real command line, in the same run and on the same CPUs, so the figures
say how far any design of the rest could go on this machine. ``--workers``
parses host folders in that many forked processes, as ``rscan`` does on
several CPUs. Prints the number of documents parsed.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
from pathlib import Path

from vminv.scanner.xmlparse import parse_xml


def parse_folder(folder: str) -> int:
    """Read and parse every ``*.xml`` in ``folder``; how many there were."""
    count = 0
    with os.scandir(folder) as entries:
        paths = [entry.path for entry in entries if entry.name.endswith(".xml")]
    for path in paths:
        with open(path, "rb") as file:
            parse_xml(file.read())
        count += 1
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    parser.add_argument("hosts", nargs="+")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    folders = [str(args.directory / host) for host in args.hosts]
    if args.workers > 1:
        with multiprocessing.get_context("fork").Pool(args.workers) as pool:
            parsed = sum(pool.map(parse_folder, folders, chunksize=1))
    else:
        parsed = sum(map(parse_folder, folders))
    print(parsed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
