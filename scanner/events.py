"""libvirt's event loop, needed for keepalive, started once per process."""

from __future__ import annotations

import threading

import libvirt

_lock = threading.Lock()
_started = False


def _ignore_error(_context: object, _error: object) -> None:
    # Without a handler libvirt prints every error to stderr; the exceptions
    # raised to the caller still carry the full error.
    return None


def ensure_event_loop() -> None:
    """Register the default event implementation and run it in a daemon thread.

    Must happen before connections are opened so that ``setKeepAlive`` works;
    a hung host is then noticed within interval x (count + 1) seconds.
    """
    global _started
    with _lock:
        if _started:
            return
        libvirt.registerErrorHandler(_ignore_error, None)
        libvirt.virEventRegisterDefaultImpl()

        def run() -> None:
            while True:
                libvirt.virEventRunDefaultImpl()

        threading.Thread(target=run, name="libvirt-events", daemon=True).start()
        _started = True
