"""Folders that hold what describes the fleet (the inventory, ``--save`` folders, CA and host-key files).

One rule for all of them: ``mkdir -p`` where every folder it creates is 0700
whatever the umask, and a folder that already exists keeps its mode (it is
someone's choice, maybe shared on purpose).
"""

from __future__ import annotations

import os
from pathlib import Path

FOLDER_MODE = 0o700


def make_private_dirs(directory: Path) -> None:
    """Create ``directory`` and its missing parents, each new one exactly 0700.

    :raises OSError: one cannot be created, or ``directory`` exists and is not a folder
    """
    missing: list[Path] = []
    current = directory
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            os.mkdir(path, FOLDER_MODE)
        except FileExistsError:
            continue  # another process made it meanwhile: it is theirs, not ours to chmod
        os.chmod(path, FOLDER_MODE)  # mkdir's mode is filtered by the umask
    if not directory.is_dir():
        raise NotADirectoryError(20, "not a directory", str(directory))
