"""The one place an exception becomes an exit status and one line on stderr.

Both entry points (``rscan`` and the ``vminv`` group) run their commands
through :func:`mapped_errors`: the tool's own errors, ``OSError`` and
``UnicodeError`` become one line naming what is wrong; anything else is a bug
and says so in one line. ``--traceback`` (or ``VMINV_TRACEBACK=1``) re-raises
instead, for a bug report.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from vminv.cli.output import warn
from vminv.cli.signals import exit_status, stopped_line
from vminv.errors import UsageError, VminvError
from vminv.inventory.errors import WriterBusyError

EXIT_OK = 0
EXIT_ERROR = 1  # the command could not do its job (engine down, DB unreadable, ...)
EXIT_USAGE = 2  # bad option, noderange, file (click uses 2 as well)
EXIT_PARTIAL = 3  # the scan ran, but some hosts failed; the output holds the rest
EXIT_CONFLICTS = 4  # written, but some guests were skipped as conflicts
EXIT_FINDINGS = 5  # vminv run: findings at or above the profile's fail-on severity
EXIT_BUSY = 6  # another writer holds the inventory's writer lock
EXIT_INTERRUPTED = 130

TRACEBACK_ENV = "VMINV_TRACEBACK"
_TRACEBACK_KEY = "vminv.traceback"

F = TypeVar("F", bound=Callable[..., Any])

# click's own outcomes (usage errors, --help, exit) are click's to print.
_CLICK_OWN = (SystemExit, click.exceptions.ClickException, click.exceptions.Abort, click.exceptions.Exit)


def _prog() -> str:
    ctx = click.get_current_context(silent=True)
    return (ctx.find_root().info_name if ctx else None) or "vminv"


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    """``PROG: error: MESSAGE`` on stderr (escaped: one line, no control characters), then exit ``code``."""
    warn(f"{_prog()}: error: {message}")
    sys.exit(code)


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: Any = None, line: str | None = None) -> None:
    warn(f"{_prog()}: warning: {message}")


def _remember_traceback(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.find_root().meta[_TRACEBACK_KEY] = True


_TRACEBACK_HELP = f"On any error show Python's traceback instead of one line (for bug reports; also {TRACEBACK_ENV}=1)."

traceback_option = click.option(
    "--traceback", is_flag=True, expose_value=False, is_eager=True, callback=_remember_traceback, help=_TRACEBACK_HELP,
)


def _add_traceback_option(command: click.Command) -> None:
    """Give ``command`` (and every subcommand of a group) ``--traceback`` too: ``vminv ls --traceback`` works."""
    if not any(isinstance(p, click.Option) and "--traceback" in p.opts for p in command.params):
        command.params.append(click.Option(["--traceback"], is_flag=True, expose_value=False, is_eager=True,
                                           callback=_remember_traceback, help=_TRACEBACK_HELP))
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _add_traceback_option(sub)


def traceback_wanted() -> bool:
    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.find_root().meta.get(_TRACEBACK_KEY):
        return True
    return os.environ.get(TRACEBACK_ENV, "").strip() not in ("", "0")


def _named_on_command_line(filename: str) -> bool:
    """Whether ``filename`` is, or lies under, a path the user gave as an argument or option."""
    ctx = click.get_current_context(silent=True)
    try:
        target = Path(os.path.abspath(filename))
    except (TypeError, ValueError):
        return False
    while ctx is not None:
        for value in ctx.params.values():
            if isinstance(value, str | Path) and str(value):
                given = Path(os.path.abspath(Path(value).expanduser()))
                if target == given or given in target.parents:
                    return True
        ctx = ctx.parent
    return False


def _os_error_line(exc: OSError) -> tuple[str, int]:
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.filename is None:
        return reason, EXIT_ERROR
    filename = os.fsdecode(exc.filename)
    where = filename if exc.filename2 is None else f"{filename} -> {os.fsdecode(exc.filename2)}"
    code = EXIT_USAGE if _named_on_command_line(filename) else EXIT_ERROR
    return f"{where}: {reason}", code


def _unicode_error_line(exc: UnicodeError) -> tuple[str, int]:
    # Never the bytes themselves: the text may be a password.
    if isinstance(exc, UnicodeDecodeError):
        return (f"input is not valid {exc.encoding} text; convert it to {exc.encoding} "
                f"(rerun with --traceback to see which)", EXIT_USAGE)
    if isinstance(exc, UnicodeEncodeError):
        return (f"cannot write text as {exc.encoding}; use a UTF-8 locale (e.g. LC_ALL=C.UTF-8) "
                f"or --format json", EXIT_ERROR)
    return f"text could not be converted ({type(exc).__name__})", EXIT_ERROR


def _internal_error_line(exc: BaseException) -> str:
    # Type and place only: an unexpected exception's message may quote anything, a password included.
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return (f"internal error ({type(exc).__name__}{where}); this is a bug: rerun with --traceback "
            f"(or {TRACEBACK_ENV}=1) and report what it prints")


def exit_for(exc: BaseException) -> NoReturn:
    """Print one line for ``exc`` and exit with its status, or re-raise it when a traceback is wanted."""
    if isinstance(exc, KeyboardInterrupt):  # SIGINT, or SIGTERM (signals.Terminated)
        fail(stopped_line(exc), exit_status(exc))
    if isinstance(exc, BrokenPipeError):
        with contextlib.suppress(OSError):
            sys.stderr.close()  # e.g. `rscan ... | head`: not an error
        sys.exit(EXIT_OK)
    if traceback_wanted():
        raise exc
    if isinstance(exc, UsageError):
        fail(str(exc), EXIT_USAGE)
    if isinstance(exc, WriterBusyError):
        fail(str(exc), EXIT_BUSY)
    if isinstance(exc, VminvError):
        fail(str(exc), EXIT_ERROR)
    if isinstance(exc, OSError):
        fail(*_os_error_line(exc))
    if isinstance(exc, UnicodeError):
        fail(*_unicode_error_line(exc))
    fail(_internal_error_line(exc), EXIT_ERROR)


@contextlib.contextmanager
def mapped_errors() -> Iterator[None]:
    """Run the block; any exception but click's own ends the process through :func:`exit_for`.

    Warnings the libraries raise (e.g. a damaged inventory being read) are one
    ``PROG: warning: ...`` line each.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = _show_warning
            yield
    except _CLICK_OWN:
        raise
    except BaseException as exc:
        exit_for(exc)


def handle_errors(func: F) -> F:
    """Map errors of one command (the entry points map every command's already; this also covers direct calls)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with mapped_errors():
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


class MappedErrorsCommand(click.Command):
    """A command whose every exception is mapped to one line and an exit status (``rscan``)."""

    def invoke(self, ctx: click.Context) -> Any:
        with mapped_errors():
            return super().invoke(ctx)


class MappedErrorsGroup(click.Group):
    """A group that maps every exception of itself and of all its subcommands (``vminv``).

    ``--traceback`` is accepted before the subcommand and after it alike.
    """

    def invoke(self, ctx: click.Context) -> Any:
        with mapped_errors():
            return super().invoke(ctx)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        _add_traceback_option(cmd)
        super().add_command(cmd, name)
