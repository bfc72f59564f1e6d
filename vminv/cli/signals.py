"""SIGINT and SIGTERM: stop cleanly, and say truly what was kept.

Python dies on SIGTERM without running a single ``finally``: temporary ssh
wrappers stayed in /tmp and ssh children ran on. Here SIGTERM raises
:class:`Terminated` in the main thread, a ``KeyboardInterrupt`` like Ctrl-C's,
so the same clean-up runs for both (``SshWrappers`` kills its ssh process
groups). From a commit on both signals are held (:class:`SignalHold`) so that a scan
is recorded whole or not at all and the command knows which.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

import click

_KEPT_KEY = "vminv.kept_on_stop"


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like SIGINT's KeyboardInterrupt."""


def _raise_terminated(_signum: int, _frame: FrameType | None) -> None:
    raise Terminated()


def install() -> None:
    """Make SIGTERM raise :class:`Terminated` (entry points call this; the main thread only)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_terminated)


def exit_status(stop: KeyboardInterrupt) -> int:
    """128 + the signal's number, as a shell reports a process ended by it."""
    return 128 + (signal.SIGTERM if isinstance(stop, Terminated) else signal.SIGINT)


def kept_on_stop(text: str | None) -> None:
    """Say what a stop would now leave behind (e.g. "the scan was not recorded"), for its message.

    A command updates it as it goes: before and after its commit, while it writes files.
    """
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        ctx.find_root().meta[_KEPT_KEY] = text


def stopped_line(stop: KeyboardInterrupt) -> str:
    """``interrupted`` or ``terminated``, and what the command said it leaves behind."""
    word = "terminated" if isinstance(stop, Terminated) else "interrupted"
    ctx = click.get_current_context(silent=True)
    kept = ctx.find_root().meta.get(_KEPT_KEY) if ctx is not None else None
    return f"{word}; {kept}" if kept else word


class SignalHold:
    """Hold SIGINT and SIGTERM from :meth:`hold` to :meth:`release`, then act on the first that came.

    For a commit: cut in the middle it would be rolled back (fine: nothing
    recorded, and the command can say so), cut just after it the command would
    not know it happened. So the hold starts at the commit, not before: a long
    write stays interruptible until then. Outside the main thread (signals
    cannot be caught there) nothing is held.
    """

    def __init__(self) -> None:
        self._previous: dict[int, Any] = {}
        self._arrived: list[int] = []

    def _note(self, signum: int, _frame: FrameType | None) -> None:
        if not self._arrived:
            sys.stderr.write("finishing the write to the inventory first\n")
            sys.stderr.flush()
        self._arrived.append(signum)

    def hold(self) -> None:
        if self._previous or threading.current_thread() is not threading.main_thread():
            return
        self._previous = {signum: signal.signal(signum, self._note) for signum in (signal.SIGINT, signal.SIGTERM)}

    def hold_at(self, stage: str) -> Callable[[str], None]:
        """A progress callback that starts the hold when the writer reports ``stage``."""
        return lambda reported: self.hold() if reported == stage else None

    def release(self) -> None:
        """Put the handlers back; raise the first signal that came meanwhile."""
        previous, self._previous = self._previous, {}
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if self._arrived:
            first = self._arrived[0]
            self._arrived.clear()
            raise Terminated() if first == signal.SIGTERM else KeyboardInterrupt()
