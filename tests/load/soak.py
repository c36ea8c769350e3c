#!/usr/bin/env python3
"""Soak: mixed signHash, time-stamp and validation traffic at fixed rates against a running `inkan serve`
(issue 20; `make soak`, scripts/run-soak). Every INTERVAL seconds it samples the server's resident
memory, open descriptors and threads (/proc/PID) and each kind's request count, errors and latency
percentiles into a CSV row; at the end gnuplot draws the CSV into a PNG, and the verdict says whether the
run was flat: no errors, resident memory of the last third within 10% (+4 MiB) of the middle third's,
descriptors of the last third no more than the middle third's (+4), not counting the soak's own
connections (the pool grows and shrinks with latency).

Standard library only (asyncio, ssl, hmac); prints one JSON summary; exit 1 when the verdict is "not flat"
(only with --verdict).
"""

import argparse
import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import ssl
import statistics
import struct
import subprocess
import sys
import time
import urllib.parse

KINDS = ("sign", "tsa", "validate")


# ---- a small keep-alive HTTP/1.1 client ----


class Connection:
    def __init__(self, url, ctx):
        u = urllib.parse.urlsplit(url)
        self.host = u.hostname
        self.port = u.port
        self.tls = u.scheme == "https"
        self.ctx = ctx
        self.reader = None
        self.writer = None

    async def request(self, path, body, headers):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(
                self.host, self.port, ssl=self.ctx if self.tls else None, server_hostname=self.host if self.tls else None
            )
        head = f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(body)}\r\n"
        for k, v in headers.items():
            head += f"{k}: {v}\r\n"
        self.writer.write(head.encode() + b"\r\n" + body)
        await self.writer.drain()
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        length = 0
        close = False
        for line in lines[1:]:
            k, _, v = line.partition(":")
            if k.lower() == "content-length":
                length = int(v.strip())
            elif k.lower() == "connection" and v.strip().lower() == "close":
                close = True
        data = await self.reader.readexactly(length) if length else b""
        if close:
            self.close()
        return status, data

    def close(self):
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class Pool:
    """Connections handed out one request at a time (keep-alive; a failed one is dropped).

    As every keep-alive client must: a connection idle for longer than IDLE_SECONDS is closed here before
    the server's idle timeout (http.idle_timeout_ms, 30 s) closes it under a request, and a request that
    finds its reused connection closed by the server before any answer came is sent once more on a new one.
    """

    IDLE_SECONDS = 15.0

    def __init__(self, url, ctx):
        self.url = url
        self.ctx = ctx
        self.idle = []  # (connection, last used), most recent last
        self.open = 0

    def _fresh(self):
        self.open += 1
        return Connection(self.url, self.ctx)

    def _drop(self, c):
        c.close()
        self.open -= 1

    async def post(self, path, body, headers):
        now = time.monotonic()
        while self.idle and now - self.idle[0][1] > self.IDLE_SECONDS:
            self._drop(self.idle.pop(0)[0])
        reused = bool(self.idle)
        c = self.idle.pop()[0] if reused else self._fresh()
        try:
            status, data = await c.request(path, body, headers)
        except (ConnectionResetError, asyncio.IncompleteReadError, BrokenPipeError) as e:
            self._drop(c)
            if not reused or (isinstance(e, asyncio.IncompleteReadError) and e.partial):
                raise
            c = self._fresh()  # the server had closed it while it sat in the pool
            try:
                status, data = await c.request(path, body, headers)
            except Exception:
                self._drop(c)
                raise
        except Exception:
            self._drop(c)
            raise
        if c.writer is not None:
            self.idle.append((c, time.monotonic()))
        else:
            self.open -= 1
        return status, data


# ---- what the requests carry ----


def totp(secret_b32, t=None, step=30, digits=6):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((t if t is not None else time.time()) // step)
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    o = mac[-1] & 0x0F
    code = (struct.unpack(">I", mac[o : o + 4])[0] & 0x7FFFFFFF) % (10**digits)
    return str(code).zfill(digits), counter


def der(tag, content):
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + length + content


def timestamp_query(digest):
    """RFC 3161 §2.4.1 TimeStampReq: version 1, SHA-256 messageImprint, a nonce, certReq TRUE."""
    sha256 = der(0x30, der(0x06, bytes.fromhex("608648016503040201")) + der(0x05, b""))
    imprint = der(0x30, sha256 + der(0x04, digest))
    nonce = der(0x02, b"\x00" + os.urandom(8))
    return der(0x30, der(0x02, b"\x01") + imprint + nonce + der(0x01, b"\xff"))


def one_page_pdf(text):
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        None,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    content = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects[3] = b"<< /Length " + str(len(content)).encode() + b" >>\nstream\n" + content + b"\nendstream"
    out = b"%PDF-1.7\n"
    offsets = []
    for i, body in enumerate(objects):
        offsets.append(len(out))
        out += f"{i + 1} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f\r\n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n\r\n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


# ---- the soak ----


class Window:
    def __init__(self):
        self.latencies = {k: [] for k in KINDS}
        self.errors = {k: 0 for k in KINDS}
        self.late = 0


class Soak:
    def __init__(self, args):
        self.args = args
        ctx = ssl.create_default_context(cafile=args.cacert)
        self.api = Pool(args.api, ctx)
        self.pki = Pool(args.pki, ctx)
        self.window = Window()
        self.in_flight = 0
        self.token = None
        self.sad = None
        self.sad_at = 0.0
        self.last_step = -1
        self.pdf = None
        self.all_errors = []

    async def api_json(self, path, body, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        status, data = await self.api.post(path, json.dumps(body).encode(), headers)
        return status, (json.loads(data) if data[:1] in (b"{", b"[") else {})

    async def login(self):
        basic = base64.b64encode(f"{self.args.user}:{self.args.password}".encode()).decode()
        status, data = await self.api.post(
            "/csc/v2/auth/login", b"{}", {"Authorization": "Basic " + basic, "Content-Type": "application/json"}
        )
        if status != 200:
            raise SystemExit(f"login: HTTP {status} {data[:200]!r}")
        self.token = json.loads(data)["access_token"]

    async def authorize(self):
        # A new one-time code each time: a step is accepted once (wait for the next when it is used).
        while True:
            code, step = totp(self.args.totp_secret)
            if step > self.last_step:
                break
            await asyncio.sleep(1)
        self.last_step = step
        status, body = await self.api_json(
            "/csc/v2/credentials/authorize",
            {
                "credentialID": self.args.credential,
                "numSignatures": self.args.multisign,
                "authData": [{"id": "PIN", "value": self.args.pin}, {"id": "OTP", "value": code}],
            },
            self.token,
        )
        if status != 200:
            raise RuntimeError(f"authorize: HTTP {status} {body}")
        self.sad = body["SAD"]
        self.sad_at = time.monotonic()

    async def prepare(self):
        await self.login()
        await self.authorize()
        status, body = await self.api_json(
            "/csc/v2/signatures/signDoc",
            {
                "credentialID": self.args.credential,
                "SAD": self.sad,
                "documents": [
                    {
                        "document": base64.b64encode(one_page_pdf("soak")).decode(),
                        "signature_format": "P",
                        "conformance_level": "Ades-B-T",
                        "signAlgo": "1.2.840.10045.4.3.2",
                    }
                ],
            },
            self.token,
        )
        if status != 200:
            raise SystemExit(f"signDoc: HTTP {status} {body}")
        self.pdf = base64.b64decode(body["DocumentWithSignature"][0])

    async def one(self, kind):
        t = time.perf_counter()
        try:
            if kind == "sign":
                status, body = await self.api_json(
                    "/csc/v2/signatures/signHash",
                    {
                        "credentialID": self.args.credential,
                        "SAD": self.sad,
                        "hashes": [base64.b64encode(os.urandom(32)).decode()],
                        "hashAlgorithmOID": "2.16.840.1.101.3.4.2.1",
                        "signAlgo": "1.2.840.10045.4.3.2",
                    },
                    self.token,
                )
            elif kind == "tsa":
                status, _ = await self.pki.post(
                    "/tsa", timestamp_query(os.urandom(32)), {"Content-Type": "application/timestamp-query"}
                )
            else:
                status, _ = await self.api.post(
                    "/inkan/v1/validate",
                    self.pdf,
                    {"Content-Type": "application/pdf", "Authorization": "Bearer " + self.token},
                )
            if status != 200:
                raise RuntimeError(f"HTTP {status}")
            self.window.latencies[kind].append((time.perf_counter() - t) * 1000.0)
        except Exception as e:
            self.window.errors[kind] += 1
            if len(self.all_errors) < 20:
                self.all_errors.append(f"{kind}: {e!r}")

    async def drive(self, kind, rate, until):
        """Open loop: a request every 1/rate seconds, whatever the answers do (at most 64 in flight)."""
        if rate <= 0:
            return
        period = 1.0 / rate
        next_at = time.monotonic()
        tasks = set()
        while next_at < until:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += period
            if len(tasks) >= 64:
                self.window.late += 1
                continue
            task = asyncio.create_task(self.one(kind))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks, return_exceptions=True)

    async def reauthorize(self, until):
        # Well before the SAD's count or lifetime runs out (rates are small against multisign).
        while time.monotonic() < until:
            await asyncio.sleep(5)
            if time.monotonic() - self.sad_at > self.args.reauthorize_seconds:
                try:
                    await self.authorize()
                except Exception as e:
                    self.all_errors.append(f"authorize: {e!r}")

    async def run(self):
        await self.prepare()
        start = time.monotonic()
        until = start + self.args.seconds
        drivers = [
            asyncio.create_task(self.drive("sign", self.args.sign_rate, until)),
            asyncio.create_task(self.drive("tsa", self.args.tsa_rate, until)),
            asyncio.create_task(self.drive("validate", self.args.validate_rate, until)),
            asyncio.create_task(self.reauthorize(until)),
        ]
        rows = []
        while time.monotonic() < until:
            await asyncio.sleep(min(self.args.interval, max(0.0, until - time.monotonic())))
            w, self.window = self.window, Window()
            rows.append(sample(self.args.pid, time.monotonic() - start, w, self.api.open + self.pki.open))
        await asyncio.gather(*drivers, return_exceptions=True)
        return rows


def percentile(values, p):
    if not values:
        return ""
    values = sorted(values)
    return round(values[min(len(values) - 1, int(len(values) * p / 100.0))], 2)


def sample(pid, t, w, client_connections):
    row = {"t_s": round(t, 1)}
    status = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            status[k] = v.strip()
    row["rss_kib"] = int(status["VmRSS"].split()[0])
    row["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    row["threads"] = int(status["Threads"])
    # The server's descriptors besides the soak's own connections (which come and go with the load).
    row["client_connections"] = client_connections
    row["fds_other"] = row["fds"] - client_connections
    for k in KINDS:
        row[f"{k}_n"] = len(w.latencies[k])
        row[f"{k}_errors"] = w.errors[k]
        row[f"{k}_p50_ms"] = percentile(w.latencies[k], 50)
        row[f"{k}_p99_ms"] = percentile(w.latencies[k], 99)
    row["late"] = w.late
    return row


def write_csv(rows, path):
    cols = list(rows[0].keys())
    with open(path, "w") as f:
        f.write(",".join(cols) + "\n")
        for r in rows:
            f.write(",".join(str(r[c]) for c in cols) + "\n")
    return cols


def chart(csv, cols, png):
    idx = {c: i + 1 for i, c in enumerate(cols)}
    script = f"""
set datafile separator ','
set terminal pngcairo size 1200,900 font ',10'
set output '{png}'
set key autotitle columnhead
set multiplot layout 3,1 title 'inkan soak: {os.path.basename(csv)}'
set xlabel 'seconds'
set ylabel 'MiB'
plot '{csv}' using {idx['t_s']}:(${idx['rss_kib']}/1024) with linespoints title 'resident memory'
set ylabel 'count'
plot '{csv}' using {idx['t_s']}:{idx['fds']} with linespoints title 'open descriptors', \
     '' using {idx['t_s']}:{idx['threads']} with linespoints title 'threads'
set ylabel 'ms'
plot '{csv}' using {idx['t_s']}:{idx['sign_p99_ms']} with linespoints title 'signHash p99', \
     '' using {idx['t_s']}:{idx['tsa_p99_ms']} with linespoints title 'time-stamp p99', \
     '' using {idx['t_s']}:{idx['validate_p99_ms']} with linespoints title 'validate p99'
unset multiplot
"""
    subprocess.run(["gnuplot"], input=script.encode(), check=True)


def verdict(rows):
    """Flat: no errors; the last third's memory and descriptors where the middle third's were."""
    errors = sum(r[f"{k}_errors"] for r in rows for k in KINDS)
    third = max(1, len(rows) // 3)
    middle, last = rows[third : 2 * third] or rows, rows[-third:]
    rss_mid = statistics.median(r["rss_kib"] for r in middle)
    rss_last = statistics.median(r["rss_kib"] for r in last)
    fds_mid = max(r["fds_other"] for r in middle)
    fds_last = max(r["fds_other"] for r in last)
    problems = []
    if errors:
        problems.append(f"{errors} requests failed")
    if rss_last > rss_mid * 1.10 + 4096:
        problems.append(f"resident memory grew: median {rss_mid} KiB in the middle third, {rss_last} KiB in the last")
    if fds_last > fds_mid + 4:
        problems.append(f"descriptors (besides the soak's connections) grew: {fds_mid} in the middle third, "
                        f"{fds_last} in the last")
    return {"flat": not problems, "problems": problems, "rss_mid_kib": rss_mid, "rss_last_kib": rss_last,
            "fds_mid": fds_mid, "fds_last": fds_last, "errors": errors}


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--api", required=True)
    ap.add_argument("--pki", required=True)
    ap.add_argument("--cacert", required=True)
    ap.add_argument("--demo", required=True, help="the data directory's demo.json: user, password, TOTP secret")
    ap.add_argument("--pin", required=True, help="the credential's PIN (a throwaway test credential)")
    ap.add_argument("--credential", required=True)
    ap.add_argument("--multisign", type=int, default=100000)
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--interval", type=float, default=10)
    ap.add_argument("--sign-rate", type=float, default=40)
    ap.add_argument("--tsa-rate", type=float, default=20)
    ap.add_argument("--validate-rate", type=float, default=2)
    ap.add_argument("--reauthorize-seconds", type=float, default=120)
    ap.add_argument("--csv", required=True)
    ap.add_argument("--png", required=True)
    ap.add_argument("--verdict", action="store_true")
    args = ap.parse_args()
    with open(args.demo) as f:
        demo = json.load(f)
    args.user, args.password, args.totp_secret = demo["user"], demo["password"], demo["totp_secret"]

    soak = Soak(args)
    rows = await soak.run()
    cols = write_csv(rows, args.csv)
    chart(args.csv, cols, args.png)
    v = verdict(rows)
    totals = {k: sum(r[f"{k}_n"] for r in rows) for k in KINDS}
    print(json.dumps({"samples": len(rows), "requests": totals, "errors_seen": soak.all_errors, "verdict": v,
                      "csv": args.csv, "png": args.png}))
    if args.verdict and not v["flat"]:
        sys.exit(1)


if __name__ == "__main__":
    random.seed()
    asyncio.run(main())
