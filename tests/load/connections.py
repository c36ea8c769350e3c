#!/usr/bin/env python3
"""Many concurrent TLS keep-alive connections against `inkan serve`, in a process of their own (issue 20).

Each round opens CONNECTIONS TLS connections to the API listener (at most HANDSHAKES handshakes at a
time), sends one request on each (POST /csc/v2/info, keep-alive), then lets ACTIVE of them send
REQUESTS more each while the others stay idle, then every connection sends one last request on the same
connection, and all close. Meanwhile SLOW slowloris clients trickle a header a byte a second and SLOW
slow readers pipeline requests without reading their answers; neither may keep an ordinary request
from being answered. Between rounds the server's open descriptors and resident memory are read from
/proc/PID (the server's pid, --pid).

Prints one JSON object: per round the requests sent and answered, errors, latency percentiles, and the
server's fds and RSS after the round; and the server's fds and RSS before the first round.
Standard library only (asyncio + ssl), so it runs wherever python3 does.
"""

import argparse
import asyncio
import json
import resource
import ssl
import statistics
import time

BODY = b"{}"


def request_bytes(host):
    return (
        b"POST /csc/v2/info HTTP/1.1\r\nHost: " + host.encode() + b"\r\n"
        b"Content-Type: application/json\r\nContent-Length: " + str(len(BODY)).encode() + b"\r\n\r\n" + BODY
    )


async def read_response(reader):
    """One HTTP/1.1 response with a Content-Length body; returns the status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    for line in lines[1:]:
        if line.lower().startswith("content-length:"):
            length = int(line.split(":", 1)[1].strip())
    if length:
        await reader.readexactly(length)
    return status


def proc_stats(pid):
    if not pid:
        return {}
    import os

    fds = len(os.listdir(f"/proc/{pid}/fd"))
    rss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return {"fds": fds, "rss_kb": rss}


class Round:
    def __init__(self):
        self.sent = 0
        self.answered = 0
        self.errors = []
        self.latencies = []

    async def one(self, reader, writer, req):
        self.sent += 1
        t = time.perf_counter()
        writer.write(req)
        await writer.drain()
        status = await read_response(reader)
        self.latencies.append((time.perf_counter() - t) * 1000.0)
        if status == 200:
            self.answered += 1
        else:
            self.errors.append(f"HTTP {status}")


async def slowloris(host, port, ctx, stop):
    """A header a byte a second: the header timeout cuts it; it must block nobody."""
    try:
        reader, writer = await asyncio.open_connection(host, port, ssl=ctx, server_hostname=host)
        head = b"POST /csc/v2/info HTTP/1.1\r\nHost: " + host.encode() + b"\r\nX-Slow: "
        writer.write(head)
        await writer.drain()
        while not stop.is_set():
            writer.write(b"a")
            await writer.drain()
            await asyncio.sleep(1.0)
    except Exception:
        pass  # cut by the server: what should happen


async def slow_reader(host, port, ctx, req, stop):
    """Pipelines requests and never reads the answers: the write timeout cuts it; it must block nobody."""
    try:
        reader, writer = await asyncio.open_connection(host, port, ssl=ctx, server_hostname=host)
        while not stop.is_set():
            writer.write(req * 50)
            await asyncio.wait_for(writer.drain(), timeout=1.0)
    except Exception:
        pass


async def run_round(args, ctx, req):
    r = Round()
    gate = asyncio.Semaphore(args.handshakes)
    connections = []

    async def connect():
        async with gate:
            reader, writer = await asyncio.open_connection(
                args.host, args.port, ssl=ctx, server_hostname=args.host
            )
        await r.one(reader, writer, req)
        connections.append((reader, writer))

    stop = asyncio.Event()
    slow = [asyncio.create_task(slowloris(args.host, args.port, ctx, stop)) for _ in range(args.slow)]
    slow += [asyncio.create_task(slow_reader(args.host, args.port, ctx, req, stop)) for _ in range(args.slow)]

    results = await asyncio.gather(*[connect() for _ in range(args.connections)], return_exceptions=True)
    r.errors += [f"connect: {e!r}" for e in results if isinstance(e, BaseException)]

    async def active(reader, writer):
        for _ in range(args.requests):
            await r.one(reader, writer, req)

    results = await asyncio.gather(
        *[active(rd, wr) for rd, wr in connections[: args.active]], return_exceptions=True
    )
    r.errors += [f"active: {e!r}" for e in results if isinstance(e, BaseException)]
    # The idle ones (and the active ones) once more, on the connections they opened.
    results = await asyncio.gather(*[r.one(rd, wr, req) for rd, wr in connections], return_exceptions=True)
    r.errors += [f"last: {e!r}" for e in results if isinstance(e, BaseException)]
    stop.set()
    for _, writer in connections:
        writer.close()
    for _, writer in connections:
        try:
            await writer.wait_closed()
        except Exception:
            pass
    for t in slow:
        t.cancel()
    await asyncio.gather(*slow, return_exceptions=True)
    return r


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * p / 100.0))], 2)


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--cacert", required=True)
    ap.add_argument("--connections", type=int, default=1000)
    ap.add_argument("--active", type=int, default=200)
    ap.add_argument("--requests", type=int, default=10)
    ap.add_argument("--handshakes", type=int, default=64)
    ap.add_argument("--slow", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--settle", type=float, default=2.0, help="seconds to wait after a round before /proc is read")
    ap.add_argument("--pid", type=int, default=0)
    args = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = args.connections + 4 * args.slow + 64
    if soft < need:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))

    ctx = ssl.create_default_context(cafile=args.cacert)
    req = request_bytes(args.host)
    out = {"before": proc_stats(args.pid), "rounds": []}
    for _ in range(args.rounds):
        started = time.perf_counter()
        r = await run_round(args, ctx, req)
        seconds = time.perf_counter() - started
        await asyncio.sleep(args.settle)
        out["rounds"].append(
            {
                "connections": args.connections,
                "sent": r.sent,
                "answered": r.answered,
                "errors": r.errors[:20],
                "error_count": len(r.errors),
                "seconds": round(seconds, 2),
                "p50_ms": percentile(r.latencies, 50),
                "p99_ms": percentile(r.latencies, 99),
                "max_ms": round(max(r.latencies), 2) if r.latencies else None,
                "mean_ms": round(statistics.mean(r.latencies), 2) if r.latencies else None,
                "after": proc_stats(args.pid),
            }
        )
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main())
