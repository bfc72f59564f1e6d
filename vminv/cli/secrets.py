"""Where the CLI's secrets come from: it reads the environment and the terminal, the library the file.

Both passwords follow one rule (``vminv.secret.read_secret``): ``--password-file``,
else the environment variable, else a prompt without echo when stdin is a
terminal; never the command line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import click

from vminv.secret import read_secret

SSH_PASSWORD_ENV = "VMINV_SSH_PASSWORD"
ENGINE_PASSWORD_ENV = "VMINV_RHEVM_PASSWORD"


def _terminal_prompt() -> Callable[[str], str] | None:
    if not sys.stdin.isatty():
        return None
    return lambda what: str(click.prompt(what, hide_input=True, err=True))


def ssh_password(password_file: str | Path | None) -> str | None:
    """For ``--transport ssh``; None means key-based login through paramiko."""
    return read_secret(
        "ssh password", file=Path(password_file) if password_file else None,
        env_value=os.environ.get(SSH_PASSWORD_ENV), env_name=SSH_PASSWORD_ENV,
        prompt=_terminal_prompt(), required=False,
    )


def engine_password(password_file: str | Path | None, user: str) -> str:
    secret = read_secret(
        f"password for {user}", file=Path(password_file) if password_file else None,
        env_value=os.environ.get(ENGINE_PASSWORD_ENV), env_name=ENGINE_PASSWORD_ENV,
        prompt=_terminal_prompt(), required=True,
    )
    assert secret is not None  # required=True raises instead
    return secret
