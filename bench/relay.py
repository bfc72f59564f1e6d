"""A TCP relay on loopback that adds latency: many listening ports, one target.

Every chunk read on either side is held for ``delay_ms`` before it is written
to the other side (chunks are delayed independently, so pipelined requests
stay pipelined), hence RTT = 2 x delay. The kernel here has no ``netem``
(see ../shared/notes/libvirt-scanning.md section 4), so latency is simulated
in user space. ``blackhole`` accepts connections and never says a word: a
host that hangs at the ssh banner.

As a module: ``with RelayProcess(("127.0.0.1", 22), delay_ms=20, count=16) as relay:``
(a child process, so the relay does not compete for the bench's GIL) or
``Relay(...).start()`` (a thread in this process).
As a script: ``python -m bench.relay --target 127.0.0.1:22 --delay-ms 20 --ports 16``
prints the listening ports on one line and relays until stdin closes or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
import threading
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay_s: float) -> None:
    """Copy reader to writer, each chunk ``delay_s`` late; forward EOF the same way."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def send() -> None:
        while True:
            due, chunk = await queue.get()
            if due > loop.time():
                await asyncio.sleep(due - loop.time())
            if not chunk:
                if writer.can_write_eof():
                    writer.write_eof()
                return
            writer.write(chunk)
            await writer.drain()

    sender = asyncio.create_task(send())
    # A peer that resets while the relay shuts down fails the sender after nobody awaits it
    # any more: read its exception here so asyncio does not print it as never retrieved.
    sender.add_done_callback(lambda task: task.cancelled() or task.exception())
    try:
        while True:
            chunk = await reader.read(65536)
            queue.put_nowait((loop.time() + delay_s, chunk))
            if not chunk:
                break
        await sender
    except (ConnectionError, OSError):
        sender.cancel()
        writer.close()  # the far side then sees EOF and the other direction ends too


class Relay:
    """Listens on ``count`` ports of ``host``; each forwards to ``target`` (or nowhere, if blackhole)."""

    def __init__(self, target: tuple[str, int] | None, delay_ms: float, count: int = 1,
                 host: str = "127.0.0.1", blackhole: bool = False) -> None:
        self.target, self.delay_s, self.count, self.host = target, delay_ms / 1000, count, host
        self.blackhole = blackhole or target is None
        self.ports: list[int] = []
        self._servers: list[asyncio.Server] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="relay", daemon=True)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if self.blackhole:
                await reader.read()  # hold the connection open, answer nothing, until the client gives up
                return
            assert self.target is not None
            up_reader, up_writer = await asyncio.open_connection(*self.target)
            try:
                await asyncio.gather(_pump(reader, up_writer, self.delay_s), _pump(up_reader, writer, self.delay_s))
            finally:
                up_writer.close()
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass  # a cancelled handler must end quietly: Python 3.11's streams call exception() on it
        finally:
            writer.close()

    async def _listen(self) -> None:
        for _ in range(self.count):
            server = await asyncio.start_server(self._connection, self.host, 0, backlog=128)
            self._servers.append(server)
            self.ports.append(server.sockets[0].getsockname()[1])

    async def _shutdown(self) -> None:
        for server in self._servers:
            server.close()
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def start(self) -> Relay:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> Relay:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


class RelayProcess:
    """The same relay in a child process (``python -m bench.relay``); stopped by closing its stdin."""

    def __init__(self, target: tuple[str, int] | None, delay_ms: float, count: int = 1,
                 blackhole: bool = False) -> None:
        argv = [sys.executable, "-m", "bench.relay", "--delay-ms", str(delay_ms), "--ports", str(count)]
        argv += ["--blackhole"] if blackhole or target is None else ["--target", f"{target[0]}:{target[1]}"]
        self.process = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            self.stop()
            raise RuntimeError("the relay did not start")
        self.ports = [int(port) for port in line.split()]

    def stop(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()  # the child exits when its stdin closes
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> RelayProcess:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", help="HOST:PORT to forward to (e.g. an sshd)")
    parser.add_argument("--delay-ms", type=float, default=20.0, help="one-way delay per direction (RTT = 2x)")
    parser.add_argument("--ports", type=int, default=1, help="how many listening ports")
    parser.add_argument("--listen", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--blackhole", action="store_true", help="accept connections and never answer")
    args = parser.parse_args()
    if not args.blackhole and not args.target:
        parser.error("give --target HOST:PORT or --blackhole")
    target = None
    if args.target:
        host, _, port = args.target.rpartition(":")
        target = (host, int(port))
    relay = Relay(target, args.delay_ms, args.ports, args.listen, args.blackhole).start()
    print(" ".join(str(port) for port in relay.ports), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        sys.stdin.read()  # until the parent closes our stdin (or dies)
    except KeyboardInterrupt:
        pass
    relay.stop()


if __name__ == "__main__":
    main()
