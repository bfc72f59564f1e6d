"""Run a command with its stdout a regular file or a terminal (a real pty), and read what it wrote."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path


def output_through(command: Sequence[str], stdout: str, scratch: Path) -> bytes:
    """The bytes ``command`` writes to stdout when it is a file (``"file"``) or a terminal (``"terminal"``)."""
    if stdout == "file":
        target = scratch / "stdout.out"
        with open(target, "wb") as handle:
            subprocess.run(list(command), stdout=handle, check=True, timeout=60)
        return target.read_bytes()
    main, secondary = os.openpty()
    with subprocess.Popen(list(command), stdout=secondary) as process:
        os.close(secondary)
        assert os.isatty(main)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the terminal's other end closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert process.wait(timeout=60) == 0
    os.close(main)
    return b"".join(chunks).replace(b"\r\n", b"\n")  # the terminal's own line ends
