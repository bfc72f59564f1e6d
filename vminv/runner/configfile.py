"""Reading the configuration file from disk: every failure one line naming the file and the problem.

:mod:`vminv.runner.config` parses text and reads nothing; this is the one
place that opens the file. The message never quotes the file's bytes (an
inline ``password`` may be among them), only where the problem is.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from vminv.runner.config import ConfigError, ConfigFile, parse_config

# A configuration is a few KiB; more is not one (and is not read into memory).
MAX_CONFIG_BYTES = 1024 * 1024


def config_file_problem(path: Path) -> str | None:
    """What makes ``path`` unusable as a configuration file before reading it (None: a regular file)."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return "does not exist"
    except OSError as exc:
        return f"cannot be looked at ({exc.strerror or type(exc).__name__})"
    if stat.S_ISDIR(info.st_mode):
        return "is a directory, not a file"
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file (a FIFO, socket or device)"
    if info.st_size > MAX_CONFIG_BYTES:
        return f"is {info.st_size:,} bytes, over the limit of {MAX_CONFIG_BYTES:,} for a configuration file"
    return None


def read_config_file(path: Path) -> ConfigFile:
    """Read, decode and check the configuration file at ``path``.

    :raises ConfigError: the file is missing, a directory, not a regular file,
        too large, unreadable, not UTF-8 (where), not TOML (where) or holds a
        bad key or value
    """
    problem = config_file_problem(path)
    if problem is not None:
        hint = f"pass the file itself, e.g. --config {path / 'config.toml'}" if problem.startswith("is a directory") \
            else "pass a TOML file with --config FILE or $VMINV_CONFIG"
        raise ConfigError(f"configuration file {path} {problem}", hint)
    try:
        with open(path, "rb", opener=lambda name, flags: os.open(name, flags | os.O_NONBLOCK)) as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc.strerror or type(exc).__name__}",
                          "check that the user running vminv may read it (and the folders above it)") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(f"configuration file {path} is not UTF-8: a byte at line {line}, column {column} "
                          f"(offset {exc.start}) is not UTF-8 text",
                          "save it as UTF-8 (e.g. iconv -f latin1 -t utf-8)") from None
    return parse_config(text, str(path))
