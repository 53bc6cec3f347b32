#!/usr/bin/env python3
"""Page-serving benchmark: the reader page from `stoppress serve` beside nginx serving the same bytes.

One run, one load generator (wrk), two targets and two cases each:

* ``stoppress`` -- ``stoppress serve`` (one process) with the reference blog imported;
* ``nginx``     -- nginx, one worker, serving the very bytes Stop Press sent, from a pre-gzipped file
  (``gzip_static``);

* ``cached``      -- ``GET /live/<slug>`` with ``Accept-Encoding: gzip`` (a reader's first visit, or a CDN
  filling its cache);
* ``conditional`` -- the same with ``If-None-Match: <the server's ETag>``, answered ``304`` (a CDN or a
  browser revalidating).

Both servers are pinned to one core, wrk to another. See benchmarks/README.md for the columns.

Usage::

    /work/venv/bin/python benchmarks/pages.py

Only 127.0.0.1 is ever contacted. Every wait has a timeout; the servers are stopped at the end, on
Ctrl-C and on errors.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gzip
import http.client
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fanout import CHILDREN, CLK_TCK, cpu_breakdown, cpu_of, descendants, free_port, proc_stat_cpus, wait_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
HOST = "127.0.0.1"  # the only address this benchmark ever talks to
CASES = ("cached", "conditional")

# wrk prints its summary as one JSON line, after the marker, so it can be read back without parsing text.
WRK_REPORT = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK-JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""

NGINX_CONF = """
daemon off;
master_process on;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; use epoll; multi_accept on; }}
http {{
    access_log off;
    keepalive_requests 1000000;
    keepalive_timeout 300s;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    types {{ text/html html; }}
    charset utf-8;
    server {{
        listen {host}:{port} backlog=4096;
        root {www};
        # The page Stop Press rendered, as it sent it: page.html.gz is its gzip body, byte for byte.
        location = {path} {{
            try_files /page.html =404;
            gzip_static on;
            gzip_vary on;
            etag on;
            add_header Cache-Control "{cache_control}";
        }}
    }}
}}
"""


def find_fixture() -> Path:
    for candidate in (
        ROOT.parent / "shared" / "fixtures",
        Path(os.environ.get("STOPPRESS_FIXTURES", "../shared/fixtures")),
    ):
        path = candidate.resolve() / "dw-ukraine-updates-2024-01-23.jsonld"
        if path.exists():
            return path
    raise SystemExit(
        "reference fixture not found: set STOPPRESS_FIXTURES to the folder with dw-ukraine-updates-2024-01-23.jsonld"
    )


def get(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """One request; the body as sent (http.client does not decompress)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


class Server:
    """A server under test: started pinned, stopped by its own process group."""

    name = "?"

    def __init__(self, args: argparse.Namespace, tmp: Path) -> None:
        self.args = args
        self.tmp = tmp
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.etag = ""

    def pids(self) -> list[int]:
        assert self.proc is not None
        return [self.proc.pid, *descendants(self.proc.pid)]

    def stop(self) -> None:
        if self.proc is not None:
            CHILDREN.stop(self.proc, sig=signal.SIGQUIT if self.name == "nginx" else signal.SIGTERM)
            self.proc = None


class StopPress(Server):
    name = "stoppress"

    def start(self) -> None:
        exe = self.args.stoppress or shutil.which("stoppress") or str(Path(sys.executable).parent / "stoppress")
        db = f"sqlite:///{self.tmp}/stoppress.db"
        imported = subprocess.run(
            [exe, "import", str(self.args.fixture), "--db", db],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.tmp,
            check=False,
        )
        if imported.returncode != 0:
            raise RuntimeError(f"stoppress import failed: {imported.stderr[-1000:]}")
        self.slug = imported.stdout.split()[0]
        self.path = f"/live/{self.slug}"
        self.port = free_port()
        log = open(self.tmp / "stoppress.log", "ab")  # noqa: SIM115 - the child keeps it
        self.proc = CHILDREN.popen(
            [exe, "serve", "--port", str(self.port), "--db", db],
            cpus=self.args.server_cpus,
            cwd=self.tmp,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        log.close()
        wait_port(self.port, self.proc, 60)


class Nginx(Server):
    name = "nginx"

    def start_with(self, path: str, gzipped: bytes, cache_control: str) -> None:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not os.path.exists(nginx):
            raise RuntimeError("nginx not found (apt-get install -y nginx)")
        self.path = path
        www = self.tmp / "www"
        www.mkdir()
        (www / "page.html").write_bytes(gzip.decompress(gzipped))
        (www / "page.html.gz").write_bytes(gzipped)
        os.chmod(self.tmp, 0o755)
        for p in (www, www / "page.html", www / "page.html.gz"):
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        self.port = free_port()
        conf = self.tmp / "nginx.conf"
        conf.write_text(
            NGINX_CONF.format(
                prefix=self.tmp, host=HOST, port=self.port, www=www, path=path, cache_control=cache_control
            )
        )
        log = open(self.tmp / "stderr.log", "ab")  # noqa: SIM115 - the child keeps it
        self.proc = CHILDREN.popen(
            [nginx, "-e", str(self.tmp / "error.log"), "-c", str(conf), "-p", f"{self.tmp}/"],
            cpus=self.args.server_cpus,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        log.close()
        try:
            wait_port(self.port, self.proc, 15)
        except RuntimeError as e:
            raise RuntimeError(f"nginx: {e}: {(self.tmp / 'error.log').read_text()[-1000:]}") from None
        deadline = time.monotonic() + 10
        while not descendants(self.proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)

    def pids(self) -> list[int]:
        assert self.proc is not None
        return descendants(self.proc.pid)  # the worker does the work; the master only supervises


def request_headers(server: Server, case: str) -> dict[str, str]:
    headers = {"Accept-Encoding": "gzip"}
    if case == "conditional":
        headers["If-None-Match"] = server.etag
    return headers


def check_case(server: Server, case: str) -> dict[str, object]:
    """What one response of this case looks like; refuses to measure a case that is not what it claims."""
    status, headers, body = get(server.port, server.path, request_headers(server, case))
    expected = 304 if case == "conditional" else 200
    if status != expected:
        raise RuntimeError(f"{server.name} {case}: expected {expected}, got {status}")
    if case == "cached" and headers.get("content-encoding") != "gzip":
        raise RuntimeError(f"{server.name} {case}: the page was not sent gzipped")
    keep = ("content-type", "content-encoding", "content-length", "etag", "cache-control", "vary")
    return {"status": status, "body_bytes": len(body), "headers": {k: v for k, v in headers.items() if k in keep}}


def wrk(server: Server, case: str, seconds: float, args: argparse.Namespace, script: Path) -> dict[str, object]:
    argv = [
        "wrk",
        "-t",
        str(args.threads),
        "-c",
        str(args.connections),
        "-d",
        f"{seconds:g}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
    ]
    for name, value in request_headers(server, case).items():
        argv += ["-H", f"{name}: {value}"]
    argv.append(f"http://{HOST}:{server.port}{server.path}")
    if args.client_cpus:
        argv = ["taskset", "-c", ",".join(map(str, sorted(args.client_cpus))), *argv]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=False)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK-JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr[-500:]} {done.stdout[-500:]}")
    return json.loads(line.removeprefix("WRK-JSON "))


def measure(server: Server, case: str, args: argparse.Namespace, script: Path) -> dict[str, object]:
    wrk(server, case, args.warmup, args, script)
    pids = server.pids()
    cpu0, stat0, wrk0 = cpu_of(pids), proc_stat_cpus(), resource.getrusage(resource.RUSAGE_CHILDREN)
    run = wrk(server, case, args.duration, args, script)
    cpu1, stat1, wrk1 = cpu_of(pids), proc_stat_cpus(), resource.getrusage(resource.RUSAGE_CHILDREN)
    requests = int(run["requests"]) or 1
    seconds = int(run["duration_us"]) / 1e6
    errors = {k: v for k, v in dict(run["errors"]).items() if v}  # type: ignore[arg-type]
    lat = dict(run["latency_us"])  # type: ignore[arg-type]
    server_cpu = cpu1["sched_seconds"] - cpu0["sched_seconds"]
    wrk_cpu = (wrk1.ru_utime + wrk1.ru_stime) - (wrk0.ru_utime + wrk0.ru_stime)
    # Everything else the machine did meanwhile (other people's test runs on a shared machine), in cores.
    busy = (
        sum(
            sum(b[:3]) + sum(b[4:]) - sum(a[:3]) - sum(a[4:])
            for cpu, b in stat1.items()
            if cpu != "cpu"
            for a in [stat0[cpu]]
        )
        / CLK_TCK
    )
    return {
        "target": server.name,
        "case": case,
        "requests": run["requests"],
        "seconds": round(seconds, 3),
        "requests_per_second": round(requests / seconds, 1),
        "latency_ms": {k: round(float(v) / 1000, 3) for k, v in lat.items()},
        "bytes_per_response": round(int(run["bytes"]) / requests, 1),
        "errors": errors,
        "server_cpu_us_per_request": round(server_cpu * 1e6 / requests, 1),
        "server_cpu_pct": round(100 * server_cpu / seconds, 1),
        "wrk_cpu_pct": round(100 * wrk_cpu / seconds, 1),
        "other_load_cores": round(max(0.0, busy - server_cpu - wrk_cpu) / seconds, 2),
        "machine_cpu_pct": cpu_breakdown(stat0, stat1),
    }


def machine_info() -> dict[str, object]:
    model = None
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True, timeout=10, check=False)
    version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10, check=False)
    try:
        import uvicorn

        uvicorn_version = uvicorn.__version__
    except ImportError:
        uvicorn_version = None
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "nginx": (nginx.stderr or nginx.stdout).strip(),
        "wrk": (version.stdout or version.stderr).splitlines()[0].strip(),
        "uvicorn": uvicorn_version,
    }


def markdown(report: dict[str, object]) -> str:
    machine = dict(report["machine"])  # type: ignore[arg-type]
    config = dict(report["config"])  # type: ignore[arg-type]
    lines = [
        f"### Page benchmark — {report['started']}",
        "",
        (
            f"Machine: {machine['nproc']} cores, {machine['cpu_model']}, Linux {machine['kernel']}, "
            f"Python {machine['python']}, uvicorn {machine['uvicorn']}, {machine['nginx']}, {machine['wrk']}."
        ),
        (
            f"wrk: {config['connections']} connections, {config['threads']} thread(s), {config['duration']} s per "
            f"case after {config['warmup']} s of warm-up, on CPU {config['client_cpus']}; servers on CPU "
            f"{config['server_cpus']}. Page: {report.get('page')} ({report.get('page_bytes', 0):,} bytes of HTML, "
            f"{report.get('page_gzip_bytes', 0):,} gzipped)."
        ),
        "",
        (
            "| target | case | req/s | p50 ms | p99 ms | bytes per response | server CPU µs/req | server CPU % "
            "| wrk CPU % | other load (cores) | errors |"
        ),
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|---|",
    ]
    for row in report["results"]:  # type: ignore[attr-defined]
        if row.get("error"):
            lines.append(f"| {row['target']} | {row.get('case', '-')} | error: {row['error']} |" + " |" * 8)
            continue
        lat = row["latency_ms"]
        errors = ", ".join(f"{k} {v}" for k, v in row["errors"].items()) or "0"
        cells = [
            row["target"],
            row["case"],
            f"{row['requests_per_second']:,.0f}",
            f"{lat['p50']:.2f}",
            f"{lat['p99']:.2f}",
            f"{row['bytes_per_response']:,.0f}",
            f"{row['server_cpu_us_per_request']:.1f}",
            f"{row['server_cpu_pct']:.0f}",
            f"{row['wrk_cpu_pct']:.0f}",
            f"{row['other_load_cores']:.2f}",
            errors,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_cpus(value: str | None) -> set[int] | None:
    return None if not value or value == "none" else {int(x) for x in value.split(",")}


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    ap.add_argument("--duration", type=int, default=10, help="seconds measured per case")
    ap.add_argument("--warmup", type=int, default=2, help="seconds of load before each measurement")
    ap.add_argument("--connections", "-c", type=int, default=50, help="wrk keep-alive connections")
    ap.add_argument("--threads", "-t", type=int, default=1, help="wrk threads")
    ap.add_argument("--rounds", type=int, default=1, help="runs of every case; the table shows the median by req/s")
    ap.add_argument("--server-cpus", default=None, help="CPUs for the servers (default: the first; 'none')")
    ap.add_argument("--client-cpus", default=None, help="CPUs for wrk (default: the others; 'none')")
    ap.add_argument("--stoppress", default=None, help="path to the stoppress executable")
    ap.add_argument("--fixture", type=Path, default=None, help="the reference blog's JSON-LD file")
    ap.add_argument("--out", default=str(HERE / "results"), help="folder for the JSON result")
    ap.add_argument("--no-json", action="store_true", help="do not write the JSON result")
    args = ap.parse_args()
    args.fixture = args.fixture or find_fixture()
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install -y wrk")
    cpus = sorted(os.sched_getaffinity(0))
    if args.server_cpus is None and len(cpus) >= 2:
        args.server_cpus, args.client_cpus = str(cpus[0]), args.client_cpus or ",".join(map(str, cpus[1:]))
    args.server_cpus, args.client_cpus = parse_cpus(args.server_cpus), parse_cpus(args.client_cpus)

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    started = _dt.datetime.now().astimezone()
    tmp = Path(tempfile.mkdtemp(prefix="pages-bench-"))
    os.chmod(tmp, 0o755)  # nginx's worker runs as another user and must reach the page file
    report: dict[str, object] = {
        "started": started.isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).as_posix(), *sys.argv]),
        "machine": machine_info(),
        "config": {
            "duration": args.duration,
            "warmup": args.warmup,
            "connections": args.connections,
            "threads": args.threads,
            "rounds": args.rounds,
            "server_cpus": sorted(args.server_cpus or []) or "any",
            "client_cpus": sorted(args.client_cpus or []) or "any",
        },
        "results": [],
    }
    runs: list[dict[str, object]] = []
    script = tmp / "report.lua"
    script.write_text(WRK_REPORT)
    stoppress = StopPress(args, tmp / "stoppress")
    nginx = Nginx(args, tmp / "nginx")
    rc = 0
    try:
        stoppress.tmp.mkdir()
        nginx.tmp.mkdir()
        stoppress.start()
        status, headers, gzipped = get(stoppress.port, stoppress.path, {"Accept-Encoding": "gzip"})
        if status != 200 or headers.get("content-encoding") != "gzip":
            raise RuntimeError(f"stoppress: {stoppress.path} answered {status}, {headers.get('content-encoding')}")
        stoppress.etag = headers["etag"]
        report.update(page=stoppress.path, page_bytes=len(gzip.decompress(gzipped)), page_gzip_bytes=len(gzipped))
        nginx.start_with(stoppress.path, gzipped, headers.get("cache-control", ""))
        status, nginx_headers, body = get(nginx.port, nginx.path, {"Accept-Encoding": "gzip"})
        if body != gzipped:
            raise RuntimeError(f"nginx does not send the bytes Stop Press sent: {status} {nginx_headers} {len(body)}")
        nginx.etag = nginx_headers["etag"]
        report["responses"] = {f"{s.name} {case}": check_case(s, case) for s in (stoppress, nginx) for case in CASES}
        for round_number in range(args.rounds):
            for server in (stoppress, nginx):
                for case in CASES:
                    print(f"== round {round_number + 1}: {server.name} {case}", flush=True)
                    row = measure(server, case, args, script)
                    row["round"] = round_number + 1
                    runs.append(row)
                    lat: dict[str, float] = row["latency_ms"]  # type: ignore[assignment]
                    print(
                        f"   {row['requests_per_second']:,.0f} req/s, p50 {lat['p50']} ms, p99 {lat['p99']} ms, "
                        f"{row['bytes_per_response']} B/response",
                        flush=True,
                    )
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the servers", flush=True)
        rc = 130
    except Exception as e:  # noqa: BLE001 - reported in the table and the JSON
        print(f"! {type(e).__name__}: {e}", flush=True)
        report["results"].append({"target": "-", "error": f"{type(e).__name__}: {e}"})  # type: ignore[attr-defined]
        rc = 1
    finally:
        stoppress.stop()
        nginx.stop()
        CHILDREN.kill_all()
        shutil.rmtree(tmp, ignore_errors=True)

    for server in ("stoppress", "nginx"):
        for case in CASES:
            same = sorted(
                (r for r in runs if r["target"] == server and r["case"] == case),
                key=lambda r: float(r["requests_per_second"]),
            )  # type: ignore[arg-type]
            if same:
                report["results"].append(same[(len(same) - 1) // 2])  # type: ignore[attr-defined]
    report["runs"] = runs
    if runs:
        report["summary"] = {
            case: {
                t: statistics.median(
                    float(r["requests_per_second"])
                    for r in runs  # type: ignore[arg-type]
                    if r["target"] == t and r["case"] == case
                )
                for t in ("stoppress", "nginx")
            }
            for case in CASES
            if all(any(r["target"] == t and r["case"] == case for r in runs) for t in ("stoppress", "nginx"))
        }
    report["finished"] = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    print()
    print(markdown(report))
    if not args.no_json:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"pages-{started.strftime('%Y-%m-%d-%H%M%S')}.json"
        path.write_text(json.dumps(report, indent=1) + "\n")
        print(f"\nJSON: {path}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
