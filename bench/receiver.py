"""A loopback JSON webhook receiver that answers each POST after a delay and counts what it got.

It stands in for a chat or SMS API that takes ~100 ms per request. Every POST is counted by its
``X-Zhenggai-Key`` header (the delivery log's idempotency key), so lost and duplicated messages are
counted where they arrive. ``GET /_stats`` returns the counts; ``POST /_reset`` clears them.

    python -m bench.receiver --port 18089 --delay 0.1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import time
from collections import Counter
from typing import Any

WINDOW = 60.0  # seconds: a rate limit's window (models.rate_limits.WINDOW)


class Receiver:
    """The counting state and the HTTP/1.1 connection handler (keep-alive, Content-Length bodies)."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.keys: Counter[str] = Counter()
        self.unkeyed = 0
        self.requests = 0
        self.bad_json = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.arrivals: dict[str, list[float]] = {}  # path → arrival moments (monotonic seconds)

    def stats(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "unkeyed": self.unkeyed,
            "bad_json": self.bad_json,
            "distinct_keys": len(self.keys),
            "duplicated_keys": sum(1 for n in self.keys.values() if n > 1),
            "extra_copies": sum(n - 1 for n in self.keys.values() if n > 1),
            "max_in_flight": self.max_in_flight,
            "endpoints": len(self.arrivals),
            "busiest_window": self.busiest_window(),
            "keys": dict(self.keys),
        }

    def busiest_window(self) -> int:
        """The most requests any one path got within any 60 s (sliding, by arrival)."""
        most = 0
        for moments in self.arrivals.values():
            first = 0
            for last, moment in enumerate(moments):
                while moment - moments[first] >= WINDOW:
                    first += 1
                most = max(most, last - first + 1)
        return most

    def reset(self) -> None:
        self.__init__(self.delay)  # type: ignore[misc]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _version = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
                status, payload = await self.respond(method, path, headers, body)
                data = json.dumps(payload).encode()
                writer.write(
                    f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(data)}\r\n\r\n".encode()
                    + data
                )
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            writer.close()

    async def respond(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[str, Any]:
        if method == "GET" and path == "/_stats":
            return "200 OK", self.stats()
        if method == "POST" and path == "/_reset":
            self.reset()
            return "200 OK", {"reset": True}
        if method != "POST":
            return "405 Method Not Allowed", {}
        self.arrivals.setdefault(path.split("?", 1)[0], []).append(time.monotonic())
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        # Counted once the answer is ready: a request counted here is a message delivered.
        self.requests += 1
        try:
            json.loads(body or b"{}")
        except ValueError:
            self.bad_json += 1
        key = headers.get("x-zhenggai-key")
        if key:
            self.keys[key] += 1
        else:
            self.unkeyed += 1
        return "200 OK", {"ok": True}


async def serve(port: int, delay: float) -> None:
    receiver = Receiver(delay)
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", port, backlog=2048)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"receiver listening on 127.0.0.1:{port} (delay {delay:.3f} s)", flush=True)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay", type=float, default=0.1)
    args = parser.parse_args(argv)
    asyncio.run(serve(args.port, args.delay))


if __name__ == "__main__":
    main()
