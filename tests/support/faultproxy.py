"""A TCP proxy that misbehaves on request, to test how clients survive a flaky network or peer.

It sits between a client and an upstream ``(host, port)`` and works at the TCP level, so https passes
through untouched (the client still verifies the upstream's certificate; give it the proxy's port with the
upstream's host name). It runs its own asyncio loop in a daemon thread; switch modes from the test thread::

    with FaultProxy(("127.0.0.1", upstream_port)) as proxy:
        proxy.delay(200)          # every new connection waits 200 ms before anything is forwarded
        proxy.cut_response(100)   # forward the first 100 bytes of the upstream's answer, then close
        proxy.pass_through()

A mode applies to connections accepted after the switch; ``disconnect_all()`` closes the open ones so that a
pooled client reconnects under the new mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import socket
import struct
import threading
from collections import Counter
from dataclasses import dataclass, field
from types import TracebackType

CHUNK = 65536
# How long a reset or drop connection waits for the client's request before failing it.
REQUEST_WAIT = 2.0


class Mode(enum.Enum):
    PASS = "pass"
    DELAY = "delay"  # wait delay_ms, then forward as usual
    DROP = "drop"  # read the request, then close (FIN) without a byte of answer
    REFUSE = "refuse"  # stop listening: connections are refused by the OS
    RESET = "reset"  # read the request, then abort with a TCP RST
    CUT = "cut"  # forward the request, then only cut_after bytes of the answer, then close


@dataclass
class ProxyStats:
    """What the proxy saw. ``faults`` counts connections by the fault mode applied to them."""

    connections: int = 0
    bytes_to_upstream: int = 0
    bytes_to_client: int = 0
    faults: Counter[str] = field(default_factory=Counter)


class FaultProxy:
    def __init__(self, upstream: tuple[str, int], host: str = "127.0.0.1", port: int = 0) -> None:
        self.upstream = upstream
        self.host = host
        self.port = port
        self.mode = Mode.PASS
        self.delay_ms = 0
        self.cut_after = 0
        self.stats = ProxyStats()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="faultproxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def address(self) -> tuple[str, int]:
        return self.host, self.port

    def url(self, scheme: str = "http", host: str | None = None) -> str:
        return f"{scheme}://{host or self.host}:{self.port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        self._call(self._listen())
        return self

    def stop(self) -> None:
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def pass_through(self) -> None:
        self._switch(Mode.PASS)

    def delay(self, milliseconds: int) -> None:
        self.delay_ms = milliseconds
        self._switch(Mode.DELAY)

    def drop(self) -> None:
        self._switch(Mode.DROP)

    def refuse(self) -> None:
        self._switch(Mode.REFUSE)

    def reset(self) -> None:
        self._switch(Mode.RESET)

    def cut_response(self, after_bytes: int) -> None:
        self.cut_after = after_bytes
        self._switch(Mode.CUT)

    def disconnect_all(self) -> None:
        """Close every open client connection (pooled clients then reconnect under the current mode)."""
        self._call(self._close_open())

    def _switch(self, mode: Mode) -> None:
        self.mode = mode
        listening = self._server is not None
        if mode is Mode.REFUSE and listening:
            self._call(self._stop_listening())
        elif mode is not Mode.REFUSE and not listening:
            self._call(self._listen())

    def _call(self, coroutine: object) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)  # type: ignore[arg-type]

    async def _listen(self) -> None:
        # The same port again after a refuse, so clients that hold the URL find the proxy back.
        self._server = await asyncio.start_server(self._handle, self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _shutdown(self) -> None:
        await self._stop_listening()
        await self._close_open()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _close_open(self) -> None:
        for writer in list(self._open):
            writer.close()
        self._open.clear()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        mode = self.mode
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.stats.connections += 1
        if mode is not Mode.PASS:
            self.stats.faults[mode.value] += 1
        self._open.add(writer)
        try:
            await self._serve(mode, reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            writer.transport.abort()
        finally:
            self._tasks.discard(task)
            self._open.discard(writer)
            if not writer.is_closing():
                writer.close()

    async def _serve(self, mode: Mode, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if mode in (Mode.DROP, Mode.RESET):
            # Reading first makes the close clean: closing with unread input would make the kernel send RST.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(reader.read(CHUNK), REQUEST_WAIT)
            if mode is Mode.RESET:
                _abort_with_rst(writer)
            return
        if mode is Mode.DELAY:
            await asyncio.sleep(self.delay_ms / 1000)
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
        try:
            limit = self.cut_after if mode is Mode.CUT else None
            await asyncio.gather(
                self._pipe(reader, upstream_writer, "bytes_to_upstream", None),
                self._pipe(upstream_reader, writer, "bytes_to_client", limit),
            )
        finally:
            upstream_writer.close()

    async def _pipe(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, counter: str, limit: int | None
    ) -> None:
        """Copy until end of stream, or until ``limit`` bytes, then close ``sink`` (the cut)."""
        sent = 0
        while limit is None or sent < limit:
            data = await source.read(CHUNK if limit is None else min(CHUNK, limit - sent))
            if not data:
                break
            # Counted before writing, so a client that has its answer sees the counters already up to date.
            sent += len(data)
            setattr(self.stats, counter, getattr(self.stats, counter) + len(data))
            sink.write(data)
            await sink.drain()
        if limit is not None:
            sink.close()
        elif sink.can_write_eof() and not sink.is_closing():
            with contextlib.suppress(OSError):  # the peer may already be gone (a refused or reset side)
                sink.write_eof()


def _abort_with_rst(writer: asyncio.StreamWriter) -> None:
    """Close with SO_LINGER 0, which makes the kernel send RST instead of FIN."""
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
