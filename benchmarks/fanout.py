#!/usr/bin/env python3
"""Fan-out benchmark: N concurrent SSE readers, M published entries.

Runs the same reader client against two targets in one run:

* ``nchan``     -- nginx + nchan (``nchan_subscriber eventsource``), one worker;
* ``stoppress`` -- ``stoppress serve`` (single process) on a temp SQLite DB.

For every target and every N it measures publish-to-receive latency
(p50/p99/max), lost messages, server CPU time per delivery and server memory
per connected reader.  See benchmarks/README.md for what each column means.

Usage::

    /work/venv/bin/python benchmarks/fanout.py --readers 1000,5000,10000

Only 127.0.0.1 is ever contacted.  Every wait has a timeout, and every child
process (servers, reader processes) is killed on exit, also on Ctrl-C.
"""
from __future__ import annotations

import argparse
import array
import asyncio
import ctypes
import datetime as _dt
import http.client
import json
import os
import platform
import re
import resource
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import queue
from pathlib import Path

HERE = Path(__file__).resolve().parent
HOST = "127.0.0.1"  # the only address this benchmark ever talks to
CLK_TCK = os.sysconf("SC_CLK_TCK")
monotonic_ns = time.monotonic_ns

# --------------------------------------------------------------------------
# helpers shared by the orchestrator and the reader processes
# --------------------------------------------------------------------------


def raise_nofile(wanted: int) -> tuple[int, int, str | None]:
    """Raise RLIMIT_NOFILE towards `wanted`; return (soft, hard, warning)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    warning = None
    if hard != resource.RLIM_INFINITY and hard < wanted:
        try:  # only works with CAP_SYS_RESOURCE (root)
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
            soft, hard = wanted, wanted
        except (ValueError, OSError):
            warning = (f"RLIMIT_NOFILE hard limit is {hard} and cannot be raised to "
                       f"{wanted}: runs needing more sockets will fail to connect")
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as e:
            warning = f"could not raise RLIMIT_NOFILE soft limit to {target}: {e}"
    return soft, hard, warning


def dechunk_all(body: bytes) -> bytes:
    """Decode a (possibly truncated) chunked body; used for small samples only."""
    out, pos = [], 0
    while True:
        j = body.find(b"\r\n", pos)
        if j < 0:
            break
        try:
            size = int(body[pos:j].split(b";")[0].strip() or b"0", 16)
        except ValueError:
            break
        if size == 0:
            break
        out.append(body[j + 2:j + 2 + size])
        pos = j + 2 + size + 2
        if pos > len(body):
            break
    return b"".join(out)


# --------------------------------------------------------------------------
# reader process ("--worker"): raw asyncio protocol, one per SSE connection
# --------------------------------------------------------------------------

TOKEN_RE = re.compile(rb"(\d+)-(\d+)(?=\D)")
PARTIAL_RE = re.compile(rb"[\d-]*")


class WorkerState:
    def __init__(self, cfg: dict):
        self.cfg = cfg
        self.m = cfg["messages"]
        self.prefix = cfg["prefix"].encode()
        self.plen = len(self.prefix)
        self.request = (
            f"GET {cfg['path']} HTTP/1.1\r\nHost: {HOST}:{cfg['port']}\r\n"
            "Accept: text/event-stream\r\nCache-Control: no-cache\r\n"
            "User-Agent: stoppress-fanout-bench\r\n\r\n").encode()
        self.lat = [array.array("q") for _ in range(self.m)]  # µs per delivery
        self.connected = 0
        self.complete = 0          # readers that got all M messages
        self.dropped = 0           # readers whose connection closed early
        self.dropped_incomplete = 0
        self.errors: dict[str, int] = {}
        self.statuses: dict[str, int] = {}
        self.bytes = 0
        self.stopping = False
        self.connect_done = False
        self.complete_sent = False

    def err(self, key: str) -> None:
        self.errors[key] = self.errors.get(key, 0) + 1

    def check_complete(self) -> None:
        if (self.connect_done and not self.complete_sent
                and self.complete + self.dropped_incomplete >= self.connected):
            self.complete_sent = True
            emit({"event": "complete", "complete": self.complete,
                  "dropped": self.dropped})


def emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


class Reader(asyncio.Protocol):
    __slots__ = ("w", "transport", "hdr", "body", "chunked", "cstate", "cleft",
                 "cbuf", "buf", "seen", "count", "ready", "counted")

    def __init__(self, w: WorkerState, ready: asyncio.Future):
        self.w = w
        self.transport = None
        self.hdr = bytearray()
        self.body = False
        self.chunked = False
        self.cstate = 0            # 0 size line, 1 data, 2 CRLF, 3 end
        self.cleft = 0
        self.cbuf = bytearray()
        self.buf = bytearray()
        self.seen = bytearray(w.m)
        self.count = 0
        self.ready = ready
        self.counted = False       # counted in w.connected

    def connection_made(self, transport):
        self.transport = transport
        transport.write(self.w.request)

    def connection_lost(self, exc):
        w = self.w
        if not self.ready.done():
            self.ready.set_result(False)
            w.err("closed before response" if exc is None else type(exc).__name__)
        if self.counted and not w.stopping:
            w.dropped += 1
            if self.count < w.m:
                w.dropped_incomplete += 1
                w.check_complete()

    def data_received(self, data: bytes):
        now = monotonic_ns()
        w = self.w
        w.bytes += len(data)
        if not self.body:
            self.hdr += data
            i = self.hdr.find(b"\r\n\r\n")
            if i < 0:
                if len(self.hdr) > 65536:
                    self.ready.set_result(False)
                    w.err("header too large")
                    self.transport.abort()
                return
            head, data = bytes(self.hdr[:i]), bytes(self.hdr[i + 4:])
            self.hdr = None
            self.body = True
            status_line, _, headers = head.partition(b"\r\n")
            parts = status_line.split(None, 2)
            status = parts[1].decode("latin-1") if len(parts) > 1 else "?"
            w.statuses[status] = w.statuses.get(status, 0) + 1
            self.chunked = b"transfer-encoding: chunked" in headers.lower()
            ok = status == "200"
            if not self.ready.done():
                self.ready.set_result(ok)
            if not ok:
                self.transport.abort()
                return
            if not data:
                return
        if self.chunked:
            data = self._dechunk(data)
        self._scan(data, now)

    def _dechunk(self, data: bytes) -> bytes:
        out = []
        pos, n = 0, len(data)
        while pos < n:
            st = self.cstate
            if st == 1:
                take = min(self.cleft, n - pos)
                out.append(data[pos:pos + take])
                pos += take
                self.cleft -= take
                if self.cleft == 0:
                    self.cstate, self.cleft = 2, 2
            elif st == 2:
                take = min(self.cleft, n - pos)
                pos += take
                self.cleft -= take
                if self.cleft == 0:
                    self.cstate = 0
            elif st == 0:
                j = data.find(b"\n", pos)
                if j < 0:
                    self.cbuf += data[pos:]
                    break
                self.cbuf += data[pos:j]
                pos = j + 1
                line = bytes(self.cbuf).split(b";")[0].strip()
                self.cbuf.clear()
                try:
                    size = int(line, 16)
                except ValueError:
                    self.w.err("bad chunk header")
                    self.cstate = 3
                    break
                if size == 0:
                    self.cstate = 3
                    break
                self.cstate, self.cleft = 1, size
            else:
                break
        return b"".join(out)

    def _scan(self, data: bytes, now: int) -> None:
        """Find `<prefix><i>-<publish_ns>` markers; no full SSE parsing."""
        w = self.w
        buf = self.buf
        buf += data
        prefix, plen = w.prefix, w.plen
        start = 0
        while True:
            i = buf.find(prefix, start)
            if i < 0:
                keep = plen - 1  # a marker may be split across two reads
                if len(buf) > keep:
                    del buf[:len(buf) - keep]
                return
            j = i + plen
            m = TOKEN_RE.match(buf, j)
            if m is None:
                if PARTIAL_RE.fullmatch(buf, j):  # marker not complete yet
                    del buf[:i]
                    return
                start = j
                continue
            idx = int(m.group(1))
            if 0 <= idx < w.m and not self.seen[idx]:
                self.seen[idx] = 1
                self.count += 1
                w.lat[idx].append((now - int(m.group(2))) // 1000)
                if self.count == w.m:
                    w.complete += 1
                    w.check_complete()
            start = m.end()


async def worker_async(cfg: dict) -> None:
    loop = asyncio.get_running_loop()
    w = WorkerState(cfg)
    t_start = time.monotonic()
    readers: list[Reader] = []
    stop = loop.create_future()

    def on_stdin():
        try:
            data = os.read(0, 4096)
        except OSError:
            data = b""
        if (not data or b"stop" in data) and not stop.done():
            stop.set_result("stop" if data else "eof")

    loop.add_reader(0, on_stdin)
    deadline = loop.call_later(cfg["max_seconds"],
                               lambda: stop.done() or stop.set_result("timeout"))

    async def one() -> Reader | None:
        ready = loop.create_future()
        r = Reader(w, ready)
        try:
            await asyncio.wait_for(
                loop.create_connection(lambda: r, HOST, cfg["port"]),
                cfg["connect_timeout"])
        except (OSError, asyncio.TimeoutError) as e:
            w.err(f"connect {type(e).__name__}: {getattr(e, 'strerror', '') or ''}".strip())
            return None
        try:
            ok = await asyncio.wait_for(asyncio.shield(ready), cfg["connect_timeout"])
        except asyncio.TimeoutError:
            w.err("no response headers in time")
            ok = False
        if not ok:
            if r.transport is not None:
                r.transport.abort()
            return None
        return r

    n, batch = cfg["count"], cfg["batch"]
    for b0 in range(0, n, batch):
        if stop.done():
            break
        got = await asyncio.gather(*(one() for _ in range(min(batch, n - b0))))
        for r in got:
            if r is not None and not r.transport.is_closing():
                r.counted = True
                readers.append(r)
        w.connected = len(readers)
        if cfg.get("batch_pause", 0):
            await asyncio.sleep(cfg["batch_pause"])
    w.connect_done = True
    emit({"event": "connected", "connected": w.connected, "requested": n,
          "errors": w.errors, "statuses": w.statuses,
          "seconds": round(time.monotonic() - t_start, 3)})
    w.check_complete()

    why = await stop
    deadline.cancel()
    w.stopping = True
    ru = resource.getrusage(resource.RUSAGE_SELF)
    counts: dict[int, int] = {}
    for r in readers:
        counts[r.count] = counts.get(r.count, 0) + 1
    result = {
        "why_stopped": why,
        "connected": w.connected,
        "requested": n,
        "complete": w.complete,
        "dropped": w.dropped,
        "errors": w.errors,
        "statuses": w.statuses,
        "bytes": w.bytes,
        "received_per_message": [len(a) for a in w.lat],
        "readers_by_count": {str(k): v for k, v in sorted(counts.items())},
        "cpu_seconds": ru.ru_utime + ru.ru_stime,
        "maxrss_kib": ru.ru_maxrss,
    }
    # latencies: raw little-endian int64 µs, message by message
    with open(cfg["result_file"] + ".lat", "wb") as f:
        for a in w.lat:
            f.write(a.tobytes())
    with open(cfg["result_file"], "w") as f:
        json.dump(result, f)
    linger = struct.pack("ii", 1, 0)  # close with RST: no TIME_WAIT pile-up
    for r in readers:
        t = r.transport
        if t is not None and not t.is_closing():
            sock = t.get_extra_info("socket")
            try:
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            except OSError:
                pass
            t.abort()
    await asyncio.sleep(0)
    emit({"event": "done"})


def worker_main(cfg: dict) -> None:
    _, _, warning = raise_nofile(cfg["count"] + 256)
    if warning:
        emit({"event": "warning", "message": warning})
    try:
        import uvloop  # type: ignore
        runner = uvloop.run
        emit({"event": "loop", "loop": "uvloop " + uvloop.__version__})
    except ImportError:
        runner = asyncio.run
        emit({"event": "loop", "loop": "asyncio"})
    runner(worker_async(cfg))


# --------------------------------------------------------------------------
# orchestrator: processes, /proc accounting
# --------------------------------------------------------------------------

_libc = None


def _child_setup(cpus: set[int] | None):
    """preexec_fn: die with the parent; optionally pin to some CPUs."""
    def fn():
        global _libc
        try:
            _libc = _libc or ctypes.CDLL("libc.so.6", use_errno=True)
            _libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except OSError:
            pass
        if cpus:
            try:
                os.sched_setaffinity(0, cpus)
            except OSError:
                pass
    return fn


class Children:
    """Every process we start; all are killed (by pid / own group) at exit."""

    def __init__(self):
        self.procs: list[subprocess.Popen] = []

    def popen(self, argv, cpus=None, **kw) -> subprocess.Popen:
        p = subprocess.Popen(argv, start_new_session=True,
                             preexec_fn=_child_setup(cpus), **kw)
        self.procs.append(p)
        return p

    @staticmethod
    def stop(p: subprocess.Popen, sig=signal.SIGTERM, wait=5.0) -> None:
        if p.poll() is not None:
            return
        try:
            os.killpg(p.pid, sig)  # the group we created with start_new_session
        except (ProcessLookupError, PermissionError):
            try:
                p.send_signal(sig)
            except ProcessLookupError:
                pass
        try:
            p.wait(wait)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                p.kill()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                pass

    def kill_all(self) -> None:
        for p in reversed(self.procs):
            self.stop(p, wait=3.0)
        self.procs.clear()


CHILDREN = Children()


def _ppid_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                rest = f.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        kids.setdefault(int(rest[1]), []).append(int(d))
    return kids


def descendants(root: int) -> list[int]:
    kids = _ppid_map()
    out, stack = [], [root]
    while stack:
        p = stack.pop()
        for c in kids.get(p, []):
            out.append(c)
            stack.append(c)
    return out


def cpu_of(pids: list[int]) -> dict:
    """utime+stime (clock ticks) and on-CPU ns from schedstat, summed."""
    ticks, sched, uticks = 0, 0, 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", "rb") as f:
                rest = f.read().rsplit(b")", 1)[1].split()
            ticks += int(rest[11]) + int(rest[12])
            uticks += int(rest[11])
            for tid in os.listdir(f"/proc/{pid}/task"):
                try:
                    with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                        sched += int(f.read().split()[0])
                except (OSError, ValueError):
                    pass
        except (OSError, IndexError):
            pass
    return {"seconds": ticks / CLK_TCK, "user_seconds": uticks / CLK_TCK,
            "sched_seconds": sched / 1e9}


def proc_stat_cpus() -> dict[str, list[int]]:
    """Per-CPU jiffies from /proc/stat (user nice system idle iowait irq softirq steal)."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu"):
                parts = line.split()
                out[parts[0]] = [int(x) for x in parts[1:9]]
    return out


def cpu_breakdown(a: dict, b: dict) -> dict:
    names = ("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal")
    res = {}
    for cpu in b:
        d = [y - x for x, y in zip(a.get(cpu, [0] * 8), b[cpu])]
        tot = sum(d) or 1
        res[cpu] = {n: round(100.0 * v / tot, 1) for n, v in zip(names, d) if v}
    return res


def mem_of(pids: list[int]) -> dict:
    rss, pss = 0, 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
                        break
        except OSError:
            pass
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                        break
        except OSError:
            pass
    return {"rss_kib": rss, "pss_kib": pss}


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server did not listen on {HOST}:{port} within {timeout}s")


def http_request(port: int, method: str, path: str, body: bytes | None = None,
                 headers: dict | None = None, timeout: float = 30.0,
                 conn: http.client.HTTPConnection | None = None):
    """One request on `conn` (or a new connection); returns (status, body, conn)."""
    if conn is None:
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    conn.timeout = timeout
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
    except (OSError, http.client.HTTPException):
        conn.close()
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
    return resp.status, data, conn


FILLER = ("Live from the press room: the committee has resumed after the break and "
          "the chair is taking questions from the floor about the budget lines. ")


def filler(n: int) -> str:
    return (FILLER * (n // len(FILLER) + 1))[:n]


# --------------------------------------------------------------------------
# targets
# --------------------------------------------------------------------------


class Target:
    name = "?"
    sub_path = "/"

    def __init__(self, args, children: Children):
        self.args = args
        self.children = children
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.conn: http.client.HTTPConnection | None = None
        self.prefix = ""

    def setup(self) -> None: ...
    def start(self) -> None: ...
    def server_pids(self) -> list[int]: ...
    def publish(self, marker: str) -> int: ...
    def info(self) -> dict: return {}

    def new_round(self) -> None:
        self.prefix = f"bench-{secrets.token_hex(4)}-"

    def stop(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if self.proc is not None:
            self.children.stop(self.proc, sig=self.stop_signal)
            self.proc = None

    stop_signal = signal.SIGTERM

    def teardown(self) -> None:
        self.stop()


class NchanTarget(Target):
    name = "nchan"
    stop_signal = signal.SIGQUIT  # nginx graceful shutdown

    def setup(self) -> None:
        self.nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(self.nginx):
            raise RuntimeError("nginx not found (apt-get install -y nginx libnginx-mod-nchan)")
        self.module = next((p for p in ("/usr/share/nginx/modules/ngx_nchan_module.so",
                                        "/usr/lib/nginx/modules/ngx_nchan_module.so")
                            if os.path.exists(p)), None)
        if not self.module:
            raise RuntimeError("nchan module not found (apt-get install -y libnginx-mod-nchan)")
        self.tmp = tempfile.mkdtemp(prefix="fanout-nchan-")
        os.chmod(self.tmp, 0o755)
        v = subprocess.run([self.nginx, "-v"], capture_output=True, text=True, timeout=10)
        self.version = (v.stderr or v.stdout).strip()

    def start(self) -> None:
        self.port = free_port()
        conf = (HERE / "nchan.conf.template").read_text()
        for k, v in {"@NCHAN_MODULE@": self.module, "@PREFIX@": self.tmp,
                     "@PORT@": str(self.port), "@NOFILE@": str(max(65536, self.args.max_readers * 2)),
                     "@WORKER_CONNECTIONS@": str(max(16384, self.args.max_readers + 4096))}.items():
            conf = conf.replace(k, v)
        path = os.path.join(self.tmp, "nginx.conf")
        with open(path, "w") as f:
            f.write(conf)
        log = open(os.path.join(self.tmp, "stderr.log"), "ab")
        self.proc = self.children.popen(
            [self.nginx, "-e", os.path.join(self.tmp, "error.log"), "-c", path,
             "-p", self.tmp + "/"], cpus=self.args.server_cpus,
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        try:
            wait_port(self.port, self.proc, 15)
        except RuntimeError as e:
            raise RuntimeError(f"nginx: {e}; see {self.tmp}/error.log and stderr.log:\n"
                               + self._logs()) from None
        # wait for the worker to exist
        deadline = time.monotonic() + 10
        while not self.server_pids() and time.monotonic() < deadline:
            time.sleep(0.05)
        self.channel = "bench" + secrets.token_hex(4)
        self.sub_path = f"/sub/{self.channel}"

    def _logs(self) -> str:
        out = []
        for n in ("stderr.log", "error.log"):
            try:
                out.append(Path(self.tmp, n).read_text()[-2000:])
            except OSError:
                pass
        return "\n".join(out)

    def server_pids(self) -> list[int]:
        # the worker(s) do all the work; the master only supervises
        return descendants(self.proc.pid) if self.proc else []

    # Set by main() from Stop Press's warm-up event when Stop Press ran first:
    # the nchan payload is then padded to the same SSE data size.
    match_data_bytes: int | None = None

    def _payload(self, marker: str, body_len: int) -> bytes:
        code = secrets.token_hex(4)
        html = (f'<article class="entry" id="entry-{code}" data-code="{code}">'
                f'<header><time datetime="2025-01-01T12:00:00Z">12:00</time>'
                f'<h2 class="entry-title">{marker}</h2></header>'
                f'<div class="entry-body"><p>{filler(body_len)}</p></div>'
                f'</article>')
        return json.dumps({"kind": "entry.published", "code": code, "html": html}).encode()

    def publish(self, marker: str) -> int:
        body_len = self.args.body_bytes
        if self.match_data_bytes:
            size = len(self._payload(marker, body_len))
            body_len = max(0, body_len + self.match_data_bytes - size)
        payload = self._payload(marker, body_len)
        st, body, self.conn = http_request(
            self.port, "POST", f"/pub/{self.channel}", payload,
            {"Content-Type": "application/json", "Accept": "text/json"},
            timeout=self.args.publish_timeout, conn=self.conn)
        return st

    def info(self) -> dict:
        return {"version": self.version, "module": self.module,
                "nchan_package": dpkg_version("libnginx-mod-nchan"),
                "worker_processes": 1, "measured_processes": "nginx worker only (master excluded)"}

    def teardown(self) -> None:
        super().teardown()
        if not self.args.keep_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


class StopPressTarget(Target):
    name = "stoppress"
    slug = "bench"

    def setup(self) -> None:
        exe = self.args.stoppress or shutil.which("stoppress") or str(Path(sys.executable).parent / "stoppress")
        if not os.path.exists(exe):
            raise RuntimeError(f"stoppress executable not found ({exe})")
        self.exe = exe
        h = subprocess.run([exe, "--help"], capture_output=True, text=True, timeout=60)
        if h.returncode != 0:
            raise RuntimeError(f"`stoppress --help` failed: {h.stderr.strip()[-500:]}")
        self.tmp = tempfile.mkdtemp(prefix="fanout-stoppress-")
        self.db = f"sqlite:///{self.tmp}/stoppress.db"
        self.env = dict(os.environ, STOPPRESS_DB=self.db)
        password = secrets.token_urlsafe(16)
        r = subprocess.run([exe, "users", "add", "bench", "--role", "admin", "--password-stdin",
                            "--db", self.db], input=password + "\n", capture_output=True,
                           text=True, timeout=60, cwd=self.tmp, env=self.env)
        if r.returncode != 0:
            raise RuntimeError(f"stoppress users add failed: {r.stdout[-500:]} {r.stderr[-1000:]}")
        r = subprocess.run([exe, "tokens", "create", "bench", "--db", self.db],
                           capture_output=True, text=True, timeout=60, cwd=self.tmp, env=self.env)
        lines = [ln.strip() for ln in r.stdout.splitlines() if ln.strip()]
        if r.returncode != 0 or not lines:
            raise RuntimeError(f"stoppress tokens create failed: {r.stdout[-500:]} {r.stderr[-1000:]}")
        self.token = lines[-1]
        self.auth = {"Authorization": f"Bearer {self.token}",
                     "Content-Type": "application/json", "Accept": "application/json"}
        sh = subprocess.run([exe, "serve", "--help"], capture_output=True, text=True,
                            timeout=60, env=self.env)
        self.serve_help = sh.stdout
        self.version = ""
        v = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
        if v.returncode == 0:
            self.version = v.stdout.strip()
        self.blog_created = False

    def start(self) -> None:
        self.port = free_port()
        argv = [self.exe, "serve", "--port", str(self.port), "--db", self.db]
        if "--host" in self.serve_help:
            argv[2:2] = ["--host", HOST]
        self.argv = argv
        log = open(os.path.join(self.tmp, "server.log"), "ab")
        self.proc = self.children.popen(argv, cpus=self.args.server_cpus, cwd=self.tmp,
                                        env=self.env, stdin=subprocess.DEVNULL,
                                        stdout=log, stderr=log)
        log.close()
        try:
            wait_port(self.port, self.proc, 60)
        except RuntimeError as e:
            raise RuntimeError(f"stoppress: {e}; log tail:\n{self._log()}") from None
        if not self.blog_created:
            st, body, self.conn = http_request(
                self.port, "POST", "/api/v1/blogs",
                json.dumps({"title": "Bench", "slug": self.slug}).encode(), self.auth,
                conn=self.conn)
            if st != 201:
                st2, _, self.conn = http_request(self.port, "GET", f"/api/v1/blogs/{self.slug}",
                                                 None, self.auth, conn=self.conn)
                if st2 != 200:
                    raise RuntimeError(f"creating blog failed: {st} {body[:500]!r}")
            self.blog_created = True
        self.sub_path = f"/live/{self.slug}/events"

    def _log(self) -> str:
        try:
            return Path(self.tmp, "server.log").read_text()[-3000:]
        except OSError:
            return ""

    def server_pids(self) -> list[int]:
        return [self.proc.pid] + descendants(self.proc.pid) if self.proc else []

    def publish(self, marker: str) -> int:
        payload = json.dumps({"title": marker, "body": filler(self.args.body_bytes),
                              "format": "text"}).encode()
        st, body, self.conn = http_request(
            self.port, "POST", f"/api/v1/blogs/{self.slug}/entries", payload, self.auth,
            timeout=self.args.publish_timeout, conn=self.conn)
        if st != 201 and not getattr(self, "_warned", False):
            self._warned = True
            print(f"  ! publish returned {st}: {body[:300]!r}", flush=True)
        return st

    def info(self) -> dict:
        return {"version": self.version, "argv": getattr(self, "argv", None),
                "db": "sqlite (temp folder)", "measured_processes": "server process + descendants"}

    def teardown(self) -> None:
        super().teardown()
        if not self.args.keep_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


TARGETS = {"nchan": NchanTarget, "stoppress": StopPressTarget}


def dpkg_version(pkg: str) -> str | None:
    try:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Version}", pkg], capture_output=True,
                           text=True, timeout=10)
        return r.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


# --------------------------------------------------------------------------
# one round: target x N
# --------------------------------------------------------------------------


def sample_event(target: Target, timeout: float) -> dict:
    """Warm-up: one reader, one publish; returns the raw SSE event seen."""
    marker = f"{target.prefix}999999-{monotonic_ns()}"
    s = socket.create_connection((HOST, target.port), timeout=timeout)
    try:
        s.sendall((f"GET {target.sub_path} HTTP/1.1\r\nHost: {HOST}:{target.port}\r\n"
                   "Accept: text/event-stream\r\n\r\n").encode())
        buf = b""
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in buf and time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        head, _, body = buf.partition(b"\r\n\r\n")
        status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        if b" 200" not in head.split(b"\r\n", 1)[0]:
            return {"ok": False, "status_line": status_line, "body": body[:500].decode("latin-1")}
        time.sleep(0.2)
        t0 = time.monotonic()
        st = target.publish(marker)
        pub_s = time.monotonic() - t0
        chunked = b"transfer-encoding: chunked" in head.lower()
        while time.monotonic() < deadline:
            text = dechunk_all(body) if chunked else body
            k = text.find(marker.encode())
            if k >= 0:
                end = min((e for e in (text.find(b"\n\n", k), text.find(b"\r\n\r\n", k)) if e >= 0),
                          default=-1)
                if end >= 0:
                    a = max(text.rfind(b"\n\n", 0, k), text.rfind(b"\r\n\r\n", 0, k))
                    event = text[a + 1 if a >= 0 else 0:end].strip()
                    data_bytes = sum(len(ln) - 5 for ln in event.splitlines() if ln.startswith(b"data:"))
                    return {"ok": True, "publish_status": st, "publish_seconds": round(pub_s, 4),
                            "event_bytes": len(event), "data_bytes": data_bytes,
                            "response_head": head.decode("latin-1"),
                            "event_head": event[:400].decode("utf-8", "replace")}
            s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            body += chunk
        return {"ok": False, "publish_status": st, "status_line": status_line,
                "body": body[-500:].decode("latin-1")}
    finally:
        s.close()


def _pump(stream, q: queue.Queue, idx: int) -> None:
    for line in stream:
        try:
            q.put((idx, json.loads(line)))
        except ValueError:
            q.put((idx, {"event": "log", "line": line.decode("utf-8", "replace").rstrip()}))
    q.put((idx, {"event": "eof"}))


def pct(sorted_vals, p: float):
    if not sorted_vals:
        return None
    k = min(len(sorted_vals) - 1, max(0, int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


def run_round(target: Target, n: int, args, tmpdir: str) -> dict:
    m = args.messages
    res: dict = {"target": target.name, "readers_requested": n, "messages": m}
    target.new_round()
    target.start()
    workers: list[subprocess.Popen] = []
    try:
        res["server_pids"] = target.server_pids()
        # warm-up (one reader, one publish) so one-time costs are not measured
        warm = sample_event(target, 20)
        res["sample_event"] = warm
        if not warm.get("ok"):
            print(f"  ! warm-up event not received: {warm}", flush=True)
        time.sleep(0.5)
        pids = target.server_pids()
        mem0 = mem_of(pids)
        conn_cpu0 = cpu_of(pids)

        # reader processes
        procs = max(1, min(args.client_procs, n))
        q: queue.Queue = queue.Queue()
        connect_budget = args.connect_timeout + n / 200.0
        publish_span = m * args.interval + m * args.publish_timeout
        max_seconds = connect_budget + publish_span + args.drain_timeout + 60
        for k in range(procs):
            cnt = n // procs + (1 if k < n % procs else 0)
            cfg = {"port": target.port, "path": target.sub_path, "count": cnt,
                   "messages": m, "prefix": target.prefix, "batch": max(1, args.batch // procs),
                   "connect_timeout": args.connect_timeout, "max_seconds": max_seconds,
                   "batch_pause": args.batch_pause,
                   "result_file": os.path.join(tmpdir, f"{target.name}-{n}-{k}.json")}
            p = CHILDREN.popen([sys.executable, str(Path(__file__).resolve()), "--worker",
                                json.dumps(cfg)], cpus=args.client_cpus,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=None)
            workers.append(p)
            threading.Thread(target=_pump, args=(p.stdout, q, k), daemon=True).start()

        backlog: dict[str, dict[int, dict]] = {}

        def wait_events(kind: str, timeout: float) -> dict[int, dict]:
            """Wait until every reader process sent `kind` (or ended)."""
            got = backlog.setdefault(kind, {})
            deadline = time.monotonic() + timeout
            while len(got) < procs:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    idx, ev = q.get(timeout=left)
                except queue.Empty:
                    break
                e = ev.get("event")
                if e == "warning":
                    print(f"  ! reader process {idx}: {ev['message']}", flush=True)
                    res.setdefault("warnings", []).append(ev["message"])
                elif e == "loop":
                    res["client_loop"] = ev["loop"]
                elif e == "eof":
                    for d in ("connected", "complete", "done"):
                        backlog.setdefault(d, {}).setdefault(idx, {"event": "eof"})
                elif e == "log":
                    print(f"  [reader {idx}] {ev['line']}", flush=True)
                else:
                    backlog.setdefault(e, {})[idx] = ev
            return dict(got)

        t_conn = time.monotonic()
        conn_ev = wait_events("connected", connect_budget + 10)
        connected = sum(ev.get("connected", 0) for ev in conn_ev.values())
        errors: dict[str, int] = {}
        for ev in conn_ev.values():
            for k2, v in ev.get("errors", {}).items():
                errors[k2] = errors.get(k2, 0) + v
        res.update(readers_connected=connected, connect_errors=errors,
                   connect_seconds=round(time.monotonic() - t_conn, 2))
        print(f"  {connected}/{n} readers connected in {res['connect_seconds']} s"
              + (f"; errors: {errors}" if errors else ""), flush=True)

        conn_cpu1 = cpu_of(pids)
        res["server_cpu_us_per_connect"] = (
            round((conn_cpu1["sched_seconds"] - conn_cpu0["sched_seconds"]) * 1e6 / connected, 1)
            if connected else None)
        time.sleep(args.settle)
        pids = target.server_pids()
        mem1 = mem_of(pids)
        res["server_memory"] = {"before": mem0, "after_connect": mem1}
        res["server_kib_per_reader"] = ((mem1["rss_kib"] - mem0["rss_kib"]) / connected
                                        if connected else None)
        res["server_pss_kib_per_reader"] = ((mem1["pss_kib"] - mem0["pss_kib"]) / connected
                                            if connected else None)

        # publish phase
        wpids = [p.pid for p in workers]
        loadavg0 = Path("/proc/loadavg").read_text().split()[:3]
        cpu0, ccpu0, stat0 = cpu_of(pids), cpu_of(wpids), proc_stat_cpus()
        own0 = os.times().user + os.times().system  # the publisher (this process)
        t0 = time.monotonic()
        pubs = []
        for i in range(m):
            due = t0 + i * args.interval
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            ns = monotonic_ns()
            marker = f"{target.prefix}{i}-{ns}"
            try:
                st = target.publish(marker)
            except (OSError, http.client.HTTPException) as e:
                st = f"error: {type(e).__name__}: {e}"
            pubs.append({"status": st, "request_ms": round((monotonic_ns() - ns) / 1e6, 2)})
        t_pub_end = time.monotonic()
        done_ev = wait_events("complete", args.drain_timeout)
        t_end = time.monotonic()
        cpu1, ccpu1, stat1 = cpu_of(pids), cpu_of(wpids), proc_stat_cpus()
        res["machine_cpu_pct"] = cpu_breakdown(stat0, stat1)
        # user+nice+system jiffies of all CPUs (no idle, iowait, irq, softirq, steal)
        busy = sum((stat1[c][0] + stat1[c][1] + stat1[c][2])
                   - (stat0[c][0] + stat0[c][1] + stat0[c][2]) for c in stat1 if c != "cpu")
        res["background_cores"] = None  # filled in below, once the client CPU is known
        res["_busy_seconds"] = busy / CLK_TCK
        res["loadavg_before_publish"] = loadavg0
        phase = t_end - t0
        res["publish"] = {"requests": pubs,
                          "publish_seconds": round(t_pub_end - t0, 3),
                          "drain_seconds": round(t_end - t_pub_end, 3),
                          "all_readers_complete": len(done_ev) == procs and all(
                              e.get("event") == "complete" for e in done_ev.values())}
        ok_pubs = sum(1 for p in pubs if p["status"] in (200, 201, 202))
        res["publish_ok"] = ok_pubs
        res["publish_request_ms_p50"] = pct(sorted(p["request_ms"] for p in pubs), 50)
        res["publish_request_ms_max"] = max((p["request_ms"] for p in pubs), default=None)

        # collect results
        for p in workers:
            try:
                p.stdin.write(b"stop\n")
                p.stdin.flush()
            except OSError:
                pass
        wait_events("done", 60)
        received_per_msg = [0] * m
        per_msg_lat = [array.array("q") for _ in range(m)]
        lat_all = array.array("q")
        by_count: dict[int, int] = {}
        dropped = 0
        client_bytes = 0
        for k in range(procs):
            rf = os.path.join(tmpdir, f"{target.name}-{n}-{k}.json")
            try:
                with open(rf) as f:
                    wr = json.load(f)
                raw = array.array("q")
                with open(rf + ".lat", "rb") as f:
                    raw.frombytes(f.read())
            except (OSError, ValueError) as e:
                res.setdefault("warnings", []).append(f"reader process {k}: no result ({e})")
                continue
            off = 0
            for i, c in enumerate(wr["received_per_message"]):
                received_per_msg[i] += c
                per_msg_lat[i].extend(raw[off:off + c])
                off += c
            lat_all.extend(raw)
            for c, v in wr["readers_by_count"].items():
                by_count[int(c)] = by_count.get(int(c), 0) + v
            dropped += wr["dropped"]
            client_bytes += wr["bytes"]
        expected = connected * m
        received = sum(received_per_msg)
        per_message = []
        for i in range(m):
            sl = sorted(per_msg_lat[i])
            per_message.append({"received": received_per_msg[i], "p50_ms": ms(pct(sl, 50)),
                                "max_ms": ms(sl[-1] if sl else None),
                                "publish_status": pubs[i]["status"],
                                "publish_request_ms": pubs[i]["request_ms"]})
        lats = sorted(lat_all)
        deliveries = expected  # N*M, as specified
        cpu_s = cpu1["seconds"] - cpu0["seconds"]
        cpu_sched = cpu1["sched_seconds"] - cpu0["sched_seconds"]
        ccpu_s = ccpu1["sched_seconds"] - ccpu0["sched_seconds"]
        res.update(
            messages_expected=expected, messages_received=received,
            messages_lost=expected - received,
            readers_missing_messages=sum(v for c, v in by_count.items() if c < m),
            readers_dropped=dropped,
            readers_by_count={str(k): v for k, v in sorted(by_count.items())},
            received_per_message=received_per_msg,
            latency_ms={"p50": ms(pct(lats, 50)), "p90": ms(pct(lats, 90)),
                        "p99": ms(pct(lats, 99)), "max": ms(lats[-1] if lats else None),
                        "min": ms(lats[0] if lats else None)},
            server_cpu={"before": cpu0, "after": cpu1, "utime_stime_seconds": round(cpu_s, 3),
                        "stime_pct": (round(100 * (1 - (cpu1["user_seconds"] - cpu0["user_seconds"])
                                                    / cpu_s), 1) if cpu_s > 0 else None),
                        "schedstat_seconds": round(cpu_sched, 4),
                        "phase_seconds": round(phase, 3),
                        "utilisation_pct": round(100 * cpu_sched / phase, 1) if phase else None},
            server_cpu_us_per_delivery=(cpu_s * 1e6 / deliveries) if deliveries else None,
            server_cpu_us_per_delivery_schedstat=(cpu_sched * 1e6 / deliveries) if deliveries else None,
            client_cpu={"seconds": round(ccpu_s, 3),
                        "utilisation_pct": round(100 * ccpu_s / phase, 1) if phase else None,
                        "processes": procs, "bytes_received": client_bytes},
        )
        # same (tick-based) accounting as /proc/stat: utime+stime
        other = (res.pop("_busy_seconds") - cpu_s
                 - (ccpu1["seconds"] - ccpu0["seconds"]) - (os.times().user + os.times().system
                                                            - own0))
        res["background_cores"] = round(max(0.0, other) / phase, 2) if phase else None
        res["latency_note"] = ("receive time (monotonic_ns, in the reader process) minus "
                               "monotonic_ns taken just before the publish POST")
        res["per_message"] = per_message
        return res
    finally:
        for p in workers:
            CHILDREN.stop(p, wait=5.0)
        target.stop()


def ms(us):
    return None if us is None else round(us / 1000.0, 2)


# --------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------


def machine_info(targets: list[Target]) -> dict:
    model = None
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    nginx_v = None
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if os.path.exists(nginx):
        v = subprocess.run([nginx, "-v"], capture_output=True, text=True, timeout=10)
        nginx_v = (v.stderr or v.stdout).strip()
    try:
        import uvloop  # type: ignore
        uv = uvloop.__version__
    except ImportError:
        uv = None
    return {"nproc": os.cpu_count(), "cpu_model": model, "kernel": platform.release(),
            "python": platform.python_version(), "nginx": nginx_v,
            "nchan": dpkg_version("libnginx-mod-nchan"), "uvloop": uv,
            "mem_total_kib": _meminfo("MemTotal")}


def _meminfo(key):
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None


def fmt(v, nd=1):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def markdown(report: dict) -> str:
    mi = report["machine"]
    cfg = report["config"]
    lines = [
        f"### Fan-out benchmark — {report['started']}",
        "",
        f"Machine: {mi['nproc']} cores, {mi['cpu_model']}, Linux {mi['kernel']}, "
        f"Python {mi['python']}, {mi['nginx']}, nchan {mi['nchan']}, uvloop {mi['uvloop']}.",
        f"M = {cfg['messages']} messages, {cfg['interval']} s apart; entry body "
        f"{cfg['body_bytes']} B; server pinned to CPU {cfg['server_cpus']}, readers "
        f"({cfg['client_procs']} process(es)) on CPU {cfg['client_cpus']}. "
        "nginx: worker_processes 1 (only the worker is measured).",
        "",
        "| target | readers | connected | msgs expected | received | lost | readers missing msgs"
        " | latency p50 ms | p99 ms | max ms | server CPU µs/delivery | of which kernel %"
        " | server KiB/reader | server CPU µs/connect | SSE event bytes | publish POST p50 ms | server CPU % | client CPU %"
        " | other load (cores) |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in report["results"]:
        if r.get("error"):
            err = r["error"].strip().splitlines() or ["?"]
            short = err[0] if len(err) == 1 else f"{err[0][:80]} … {err[-1]}"
            short = short.replace("|", "/")[:200]
            lines.append(f"| {r['target']} | {r['readers_requested']} | error: {short} "
                         "|" + " |" * 17)
            continue
        lat = r.get("latency_ms", {})
        lines.append("| " + " | ".join([
            r["target"], str(r["readers_requested"]), fmt(r.get("readers_connected")),
            fmt(r.get("messages_expected")), fmt(r.get("messages_received")),
            fmt(r.get("messages_lost")), fmt(r.get("readers_missing_messages")),
            fmt(lat.get("p50")), fmt(lat.get("p99")), fmt(lat.get("max")),
            fmt(r.get("server_cpu_us_per_delivery"), 2),
            fmt(r.get("server_cpu", {}).get("stime_pct")),
            fmt(r.get("server_kib_per_reader"), 2),
            fmt(r.get("server_cpu_us_per_connect")),
            fmt(r.get("sample_event", {}).get("event_bytes")),
            fmt(r.get("publish_request_ms_p50")),
            fmt(r.get("server_cpu", {}).get("utilisation_pct")),
            fmt(r.get("client_cpu", {}).get("utilisation_pct")),
            fmt(r.get("background_cores"), 2),
        ]) + " |")
    if report.get("notes"):
        lines.append("")
        lines.extend(f"- {n}" for n in report["notes"])
    return "\n".join(lines)


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------


def parse_cpus(s: str | None) -> set[int] | None:
    if not s or s == "none":
        return None
    return {int(x) for x in s.split(",")}


def main() -> int:
    if len(sys.argv) >= 3 and sys.argv[1] == "--worker":
        worker_main(json.loads(sys.argv[2]))
        return 0

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--readers", default="1000,5000,10000",
                    help="comma-separated list of reader counts N")
    ap.add_argument("--messages", "-m", type=int, default=20, help="entries published per round (M)")
    ap.add_argument("--interval", type=float, default=0.5, help="seconds between publishes")
    ap.add_argument("--targets", default="nchan,stoppress", help="comma-separated: nchan,stoppress")
    ap.add_argument("--body-bytes", type=int, default=1200,
                    help="entry body size; the SSE event ends up ~1.5 KB")
    ap.add_argument("--client-procs", type=int, default=2, help="reader processes")
    ap.add_argument("--batch", type=int, default=500, help="connections opened at once (total)")
    ap.add_argument("--batch-pause", type=float, default=0.0, help="pause between batches, s")
    ap.add_argument("--connect-timeout", type=float, default=30.0, help="per connection, s")
    ap.add_argument("--publish-timeout", type=float, default=30.0, help="per publish POST, s")
    ap.add_argument("--drain-timeout", type=float, default=30.0,
                    help="max wait after the last publish for all readers to get everything, s")
    ap.add_argument("--settle", type=float, default=1.0,
                    help="pause after all readers connected, before memory is read, s")
    ap.add_argument("--server-cpus", default=None,
                    help="CPU list for the server (default: 0 when >= 2 CPUs; 'none' = no pinning)")
    ap.add_argument("--client-cpus", default=None,
                    help="CPU list for readers+publisher (default: the other CPUs; 'none')")
    ap.add_argument("--stoppress", default=None, help="path to the stoppress executable")
    ap.add_argument("--out", default=str(HERE / "results"), help="folder for the JSON result")
    ap.add_argument("--no-json", action="store_true", help="do not write the JSON result")
    ap.add_argument("--keep-tmp", action="store_true", help="keep server temp folders")
    args = ap.parse_args()

    readers = [int(x) for x in args.readers.split(",") if x.strip()]
    args.max_readers = max(readers)
    ncpu = len(os.sched_getaffinity(0))
    all_cpus = sorted(os.sched_getaffinity(0))
    if args.server_cpus is None and ncpu >= 2:
        args.server_cpus = str(all_cpus[0])
        if args.client_cpus is None:
            args.client_cpus = ",".join(str(c) for c in all_cpus[1:])
    args.server_cpus = parse_cpus(args.server_cpus)
    args.client_cpus = parse_cpus(args.client_cpus)
    if args.client_cpus:
        os.sched_setaffinity(0, args.client_cpus)  # the publisher runs here too

    soft, hard, warning = raise_nofile(args.max_readers + 4096)
    notes = []
    if warning:
        print(f"WARNING: {warning}", flush=True)
        notes.append(warning)

    def on_term(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_term)

    started = _dt.datetime.now().astimezone()
    report = {
        "started": started.isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).as_posix(), *sys.argv]),
        "machine": None,
        "config": {"readers": readers, "messages": args.messages, "interval": args.interval,
                   "body_bytes": args.body_bytes, "client_procs": args.client_procs,
                   "batch": args.batch, "server_cpus": sorted(args.server_cpus or []) or "any",
                   "client_cpus": sorted(args.client_cpus or []) or "any",
                   "rlimit_nofile": [soft, hard]},
        "targets": {},
        "results": [],
        "notes": notes,
    }
    targets: list[Target] = []
    tmpdir = tempfile.mkdtemp(prefix="fanout-")
    rc = 0
    try:
        for name in [t.strip() for t in args.targets.split(",") if t.strip()]:
            if name not in TARGETS:
                raise SystemExit(f"unknown target {name!r}; choose from {sorted(TARGETS)}")
            t = TARGETS[name](args, CHILDREN)
            try:
                t.setup()
            except Exception as e:  # noqa: BLE001 - reported, the other target still runs
                msg = f"{name}: not run: {e}"
                print(f"! {msg}", flush=True)
                notes.append(msg)
                report["results"].append({"target": name, "readers_requested": "-",
                                          "error": str(e)})
                rc = 1
                continue
            targets.append(t)
        report["machine"] = machine_info(targets)
        # Stop Press first, so that nchan can send the same payload size.
        targets.sort(key=lambda t: t.name != "stoppress")
        for t in targets:
            for n in readers:
                print(f"== {t.name}: {n} readers, {args.messages} messages", flush=True)
                try:
                    r = run_round(t, n, args, tmpdir)
                except Exception as e:  # noqa: BLE001
                    r = {"target": t.name, "readers_requested": n, "error": f"{type(e).__name__}: {e}"}
                    print(f"  ! {r['error']}", flush=True)
                    rc = 1
                report["results"].append(r)
                sample = r.get("sample_event") or {}
                if (t.name == "stoppress" and sample.get("ok") and not NchanTarget.match_data_bytes
                        and any(x.name == "nchan" for x in targets)):
                    NchanTarget.match_data_bytes = sample["data_bytes"]
                    notes.append(f"nchan payload padded to {sample['data_bytes']} bytes of SSE "
                                 "data, the size of Stop Press's entry.published event")
                if not r.get("error"):
                    lat = r["latency_ms"]
                    print(f"  received {r['messages_received']}/{r['messages_expected']}, "
                          f"p50 {lat['p50']} ms, p99 {lat['p99']} ms, "
                          f"CPU {fmt(r['server_cpu_us_per_delivery'], 2)} µs/delivery, "
                          f"{fmt(r['server_kib_per_reader'], 2)} KiB/reader", flush=True)
                time.sleep(1.0)
            report["targets"][t.name] = t.info()
    except KeyboardInterrupt:
        print("\ninterrupted: stopping all child processes", flush=True)
        notes.append("interrupted")
        rc = 130
    finally:
        CHILDREN.kill_all()
        for t in targets:
            try:
                t.teardown()
            except Exception:  # noqa: BLE001
                pass
        shutil.rmtree(tmpdir, ignore_errors=True)

    report["finished"] = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    md = markdown(report)
    print()
    print(md)
    if not args.no_json:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"fanout-{started.strftime('%Y-%m-%d-%H%M%S')}.json"
        path.write_text(json.dumps(report, indent=1) + "\n")
        print(f"\nJSON: {path}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
