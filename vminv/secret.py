"""The one way a secret (the ssh password, the engine password) is read.

A library function with explicit arguments: the file, the environment value
(read by the CLI and passed in), a prompt callback (given only when there is a
terminal). A secret is never taken from argv, and no message here ever holds a
byte of it: a file that is not UTF-8 is named, never quoted.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from vminv.errors import UsageError

MAX_SECRET_FILE_BYTES = 64 * 1024  # a FIFO or /dev/zero named as the file must not hang or eat memory


def read_secret(
    what: str,
    *,
    file: Path | None = None,
    env_value: str | None = None,
    env_name: str | None = None,
    prompt: Callable[[str], str] | None = None,
    required: bool = True,
) -> str | None:
    """``file``, else ``env_value``, else ``prompt(what)``; the first that is given wins.

    :param what: names the secret in prompts and messages (``password for admin@internal``).
    :param env_name: the variable ``env_value`` came from, for the hint.
    :param required: when nothing gives a secret, raise (True) or return None (e.g.
        ssh falls back to keys).
    :raises UsageError: the file cannot be read, is not UTF-8, is empty or too
        large; no secret when one is required.
    """
    if file is not None:
        return _read_file(what, Path(file).expanduser())
    if env_value:
        return env_value
    if prompt is not None:
        return prompt(what)
    if not required:
        return None
    source = f"--password-file FILE or set {env_name}" if env_name else "--password-file FILE"
    raise UsageError(f"no {what}", f"give {source} (it is never taken from the command line)")


def _read_file(what: str, path: Path) -> str:
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_SECRET_FILE_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read the password file {path}: {exc.strerror or type(exc).__name__}",
                         "check the path and its permissions") from None
    if len(data) > MAX_SECRET_FILE_BYTES:
        raise UsageError(f"password file {path} is larger than {MAX_SECRET_FILE_BYTES // 1024} KiB",
                         "it must hold only the password")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # The decoder's message quotes the offending byte: a byte of the password.
        raise UsageError(f"password file {path} is not UTF-8 text",
                         "write the password into it as plain UTF-8 text") from None
    secret = text.rstrip("\r\n")  # the newline an editor or `echo` adds is not part of it
    if not secret:
        raise UsageError(f"password file {path} is empty", f"write the {what} into it")
    return secret
