#!/usr/bin/env python3
"""`make bench-http`: interleaved rounds of wrk against every HTTP server, in the same run.

Servers (each single-threaded: one event loop, the whole process pinned to CPU 0; 127.0.0.1 only):
  scheduler-core   the release `http-server --threads 1` (Examples/HTTPServer, the issue's server,
                   with the whole HTTP.md stack: router, request id, a log line, compression check)
  scheduler-core (server core)
                   HTTPServer with a plain handler for `/` and `/json` and nothing else
                   (bench/http/peers RouterOverheadServer `core`): set up as the peers are
  C io_uring       bench/http/uring_http.c (hand-written baseline: multishot accept/recv, provided
                   buffers, request-line and header scan, fixed response with a cached Date)
  nginx            Debian's nginx, one worker, `return 200`, config generated in a temp dir
  Hummingbird 2    bench/http/peers (hummingbird 2.28.1, one-thread event loop group)
  NIOHTTP1         bench/http/peers (swift-nio 2.101.2, one-thread event loop group)
Workloads (wrk on CPU 1, one thread, --latency): plaintext `GET /` with 64 connections, the same
pipelined 16 deep (bench/http/pipeline.lua), `GET /json` with 64 connections, and `GET /` with the
13 header fields a browser sends (BROWSER_FIELDS, about 700 bytes a request). Each (round,
workload) runs every server once in a rotating order, after a 1 s warm-up run.
Then, once per server: heap allocations per request (LD_PRELOAD bench/http/malloc_count.c, counts
read by SIGUSR1 before and after a plaintext wrk run), RSS per idle keep-alive connection
(IDLE_CONNECTIONS, default 10,000, each having been answered one request, VmRSS before/after), and
a CPU profile of scheduler-core on the plaintext workload (perf record -e cpu-clock -g).
Writes bench/results/http.md, http.json, http.png and http.profile.txt.
Environment: ROUNDS (3), SECONDS_PER_RUN (5), IDLE_CONNECTIONS (10000), PROFILE (1), BENCH_NICE (0).
"""
import json, os, re, resource, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HERE = os.path.join(ROOT, "bench", "http")
BIN = os.path.join(ROOT, ".build-httpbench")
RESULTS = os.path.join(ROOT, "bench", "results")
SCRATCH = os.environ.get("ENGINE_SCRATCH", "Examples/.build")  # http-server is in the Examples package
PEERS_SCRATCH = os.environ.get("PEERS_SCRATCH", ".build-httppeers")
ROUNDS = int(os.environ.get("ROUNDS", "3"))
SECONDS = int(float(os.environ.get("SECONDS_PER_RUN", "5")))
IDLE = int(os.environ.get("IDLE_CONNECTIONS", "10000"))
PROFILE = os.environ.get("PROFILE", "1") != "0"
CPUS = os.cpu_count() or 1
SERVER_CPU, CLIENT_CPU = ("0", "1") if CPUS >= 2 else ("0", "0")
CLK_TCK = os.sysconf("SC_CLK_TCK")
# A nice value for the servers and wrk (BENCH_NICE=-10 gives them the CPUs on a machine busy with
# other work; 0, the default, leaves priorities alone).
NICE = ["nice", "-n", os.environ["BENCH_NICE"]] if os.environ.get("BENCH_NICE", "0") != "0" else []

OURS, C, NGINX, HB, NIO = "scheduler-core", "C io_uring", "nginx", "Hummingbird 2", "NIOHTTP1"
CORE = "scheduler-core (server core)"
NAMES = [OURS, CORE, C, NGINX, HB, NIO]
# The router row (issue 13): our server on `GET /users/:id`, a plain handler against HTTPRouter with
# request-id and logging middleware (bench/http/peers RouterOverheadServer), in the same rounds.
PLAIN, ROUTED = "plain handler", "router + request id + logging"
ROUTED_LINE = "router + request id + logging (LineLogHandler)"
ROUTED_BUFFERED = "router + request id + logging (LineLogHandler, 64 KiB buffer)"
ROUTED_ASYNC = "router + request id + logging (LineLogHandler, 64 KiB buffer), async handler"
ROUTER_MODES = {PLAIN: "plain", ROUTED: "routed", ROUTED_LINE: "routed-line", ROUTED_BUFFERED: "routed-buffered",
                ROUTED_ASYNC: "routed-async", CORE: "core"}
ROUTER_WORKLOAD = ("users", "/users/42", [])
# What Chrome sends for a page (as in bench-parser's browser request): the server's per-field work.
BROWSER_FIELDS = [
    "Connection: keep-alive", "sec-ch-ua-mobile: ?0", 'sec-ch-ua-platform: "Linux"', "Upgrade-Insecure-Requests: 1",
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8",
    "Sec-Fetch-Site: same-origin", "Sec-Fetch-Mode: navigate", "Sec-Fetch-Dest: document",
    "Referer: https://www.example.com/", "Accept-Encoding: gzip, deflate, br, zstd",
    "Accept-Language: en-GB,en;q=0.9,fr;q=0.8",
    "Cookie: session=4f8a9c2e1b7d3a6f; theme=dark; _ga=GA1.2.1234567890.1700000000",
]
WORKLOADS = [
    ("plaintext", "/", []),
    ("pipelined16", "/", ["-s", os.path.join(HERE, "pipeline.lua")]),
    ("json", "/json", []),
    ("browser", "/", [arg for field in BROWSER_FIELDS for arg in ("-H", field)]),
]


def run(cmd, **kw):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, **kw)


def drop_local_objects(scratch, package):
    """Deletes the release objects of this repository's own targets in a scratch path that builds
    them as a path dependency, and touches that package's manifest: SwiftPM's incremental build
    there kept stale objects after a struct's layout changed in SchedulerHTTP (the server then
    crashed on a bad pointer). Costs a rebuild of our modules, not of the dependencies."""
    release = os.path.join(ROOT, scratch, "x86_64-unknown-linux-gnu", "release")
    if not os.path.isdir(release):
        return
    for folder in ("Sources", "CSources"):
        for target in os.listdir(os.path.join(ROOT, folder)):
            shutil.rmtree(os.path.join(release, target + ".build"), ignore_errors=True)
    os.utime(os.path.join(ROOT, package, "Package.swift"))


def build():
    os.makedirs(BIN, exist_ok=True)
    drop_local_objects(SCRATCH, "Examples")
    drop_local_objects(PEERS_SCRATCH, "bench/http/peers")
    run(["gcc", "-O2", "-Wall", "-o", os.path.join(BIN, "uring_http"), os.path.join(HERE, "uring_http.c"), "-luring"])
    run(["gcc", "-O2", "-Wall", "-shared", "-fPIC", "-o", os.path.join(BIN, "malloc_count.so"),
         os.path.join(HERE, "malloc_count.c")])
    run(["swift", "build", "-c", "release", "--package-path", "Examples", "--scratch-path", os.path.join(ROOT, SCRATCH),
         "--product", "http-server"])
    run(["swift", "build", "-c", "release", "--package-path", "bench/http/peers", "--scratch-path", PEERS_SCRATCH,
         "--product", "HummingbirdHTTPServer"])
    run(["swift", "build", "-c", "release", "--package-path", "bench/http/peers", "--scratch-path", PEERS_SCRATCH,
         "--product", "NIOHTTPServer"])
    run(["swift", "build", "-c", "release", "--package-path", "bench/http/peers", "--scratch-path", PEERS_SCRATCH,
         "--product", "RouterOverheadServer"])


def bin_dir(scratch):
    """The release products of a scratch path (`release` is a link made at the end of a build)."""
    link = os.path.join(ROOT, scratch, "release")
    if os.path.isdir(link):
        return link
    return os.path.join(ROOT, scratch, "%s-unknown-linux-gnu" % os.uname().machine, "release")


NGINX_CONF = """daemon off;
master_process on;
worker_processes 1;
worker_rlimit_nofile 65536;
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 30000; }}
http {{
    access_log off;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    keepalive_requests 100000000;
    keepalive_timeout 300s;
    server {{
        listen 127.0.0.1:{port};
        location = /json {{ default_type application/json; return 200 '{{"message":"Hello, World!"}}'; }}
        location / {{ default_type text/plain; return 200 "Hello, World!"; }}
    }}
}}
"""


class Server:
    """One server process (for nginx: its master, with the one worker as `pid`)."""

    def __init__(self, name, port, env=None, prefix=()):
        self.name, self.port, self.tmp = name, port, None
        release = bin_dir(SCRATCH)
        peers = bin_dir(PEERS_SCRATCH)
        if name == OURS:
            cmd = [os.path.join(release, "http-server"), "--port", str(port), "--threads", "1"]
        elif name == C:
            cmd = [os.path.join(BIN, "uring_http"), str(port)]
        elif name == HB:
            cmd = [os.path.join(peers, "HummingbirdHTTPServer"), str(port)]
        elif name == NIO:
            cmd = [os.path.join(peers, "NIOHTTPServer"), str(port)]
        elif name in ROUTER_MODES:
            cmd = [os.path.join(peers, "RouterOverheadServer"), str(port), ROUTER_MODES[name]]
            # With TZ unset, glibc's localtime_r (swift-log's StreamLogHandler stamps each line
            # with it) stats /etc/localtime on every call; deployed servers set TZ. Both modes get it.
            env = dict(env or {}, TZ="UTC")
        else:
            self.tmp = tempfile.mkdtemp(prefix="bench-nginx-")
            with open(os.path.join(self.tmp, "nginx.conf"), "w") as f:
                f.write(NGINX_CONF.format(dir=self.tmp, port=port))
            cmd = ["nginx", "-p", self.tmp, "-e", os.path.join(self.tmp, "error.log"),
                   "-c", os.path.join(self.tmp, "nginx.conf")]
        full_env = dict(os.environ, **(env or {}))
        self.proc = subprocess.Popen(list(prefix) + NICE + ["taskset", "-c", SERVER_CPU] + cmd, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, env=full_env)
        self.pid = self.proc.pid
        if not wait_listening(port):
            self.stop()
            raise RuntimeError("%s did not listen on %d" % (name, port))
        if name == NGINX or prefix:  # nginx: its worker; under perf: perf's child (taskset execs the server)
            self.pid = child_of(self.proc.pid)

    def cpu_seconds(self):
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK  # utime, stime

    def rss_kib(self):
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        target = self.proc.pid if self.name == NGINX or self.pid == self.proc.pid else self.pid
        os.kill(target, signal.SIGQUIT if self.name == NGINX else signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)


def child_of(master, deadline=5.0):
    end = time.time() + deadline
    while time.time() < end:
        try:
            with open("/proc/%d/task/%d/children" % (master, master)) as f:
                kids = [int(k) for k in f.read().split()]
            if kids:
                return kids[0]
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("no child process of %d" % master)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port, deadline=15.0):
    end = time.time() + deadline
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


UNITS = {"us": 1.0, "ms": 1000.0, "s": 1e6}


def wrk(port, path, extra, seconds, connections=64):
    cmd = NICE + ["taskset", "-c", CLIENT_CPU, "wrk", "-t1", "-c%d" % connections, "-d%ds" % seconds, "--latency"]
    # `-s script` (the pipelining one) takes its depth after the URL; `-H` fields go before it.
    cmd += extra + ["http://127.0.0.1:%d%s" % (port, path)]
    if extra[:1] == ["-s"]:
        cmd += ["--", "16"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=seconds + 60).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
              "requests": int(re.search(r"(\d+) requests in", out).group(1))}
    # wrk's own CPU (nice and taskset exec it, so the waited-for child is wrk): when it nears one
    # CPU's worth per second, the load generator is the limit, not the server.
    wrk_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result["wrk_cpu_us_per_req"] = wrk_cpu * 1e6 / max(result["requests"], 1)
    result["wrk_cpu_share"] = wrk_cpu / seconds
    for pct in ("50", "99"):
        m = re.search(r"^\s+%s(?:\.000)?%%\s+([\d.]+)(us|ms|s)\s*$" % pct, out, re.M)
        result["p%s_us" % pct] = float(m.group(1)) * UNITS[m.group(2)] if m else float("nan")
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    result["socket_errors"] = sum(int(g) for g in m.groups()) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non_2xx"] = int(m.group(1)) if m else 0
    return result


def one_run(name, workload):
    _, path, extra = next(w for w in WORKLOADS + [ROUTER_WORKLOAD] if w[0] == workload)
    port = free_port()
    server = Server(name, port)
    try:
        wrk(port, path, extra, 1)  # warm-up
        u0, s0 = server.cpu_seconds()
        result = wrk(port, path, extra, SECONDS)
        u1, s1 = server.cpu_seconds()
        n = max(result["requests"], 1)
        result["user_us_per_req"] = (u1 - u0) * 1e6 / n
        result["sys_us_per_req"] = (s1 - s0) * 1e6 / n
        result["cpu_us_per_req"] = result["user_us_per_req"] + result["sys_us_per_req"]
        result["cpu_share"] = ((u1 - u0) + (s1 - s0)) / SECONDS
        return result
    finally:
        server.stop()


def allocations(name):
    """Heap allocations per plaintext request under the LD_PRELOAD counter."""
    port = free_port()
    out = tempfile.mktemp(prefix="malloc-count-")
    server = Server(name, port, env={"LD_PRELOAD": os.path.join(BIN, "malloc_count.so"), "MALLOC_COUNT_OUT": out})
    try:
        wrk(port, "/", [], 1)

        def counts():
            before = len(open(out).read().splitlines()) if os.path.exists(out) else 0
            os.kill(server.pid, signal.SIGUSR1)
            for _ in range(100):
                lines = open(out).read().splitlines() if os.path.exists(out) else []
                if len(lines) > before:
                    return {k: int(v) for k, v in (kv.split("=") for kv in lines[-1].split())}
                time.sleep(0.02)
            raise RuntimeError("no malloc count from %s" % name)

        a = counts()
        result = wrk(port, "/", [], SECONDS)
        b = counts()
        n = result["requests"]
        return {"requests": n, "allocs_per_req": (b["allocs"] - a["allocs"]) / n,
                "reallocs_per_req": (b["reallocs"] - a["reallocs"]) / n,
                "frees_per_req": (b["frees"] - a["frees"]) / n}
    finally:
        server.stop()
        if os.path.exists(out):
            os.unlink(out)


def idle_rss(name, index):
    """RSS per idle keep-alive connection: IDLE connections, each answered one `GET /`."""
    port = free_port()
    server = Server(name, port)
    conns = []
    source = "127.0.%d.%d" % (1 + index // 200, 10 + index % 200)  # own source address: no port clash
    served = 0
    try:
        # Warm the server (first request, buffers, Date cache), then settle.
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            s.recv(4096)
        time.sleep(0.5)
        before = server.rss_kib()
        request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        for _ in range(IDLE):
            s = socket.socket()
            s.setsockopt(socket.SOL_IP, 24, 1)  # IP_BIND_ADDRESS_NO_PORT
            s.bind((source, 0))
            s.settimeout(5)
            try:
                s.connect(("127.0.0.1", port))
                s.sendall(request)
                data = s.recv(4096)
            except OSError:
                data = b""
            conns.append(s)
            if data.startswith(b"HTTP/1.1 200"):
                served += 1
        time.sleep(1.0)
        alive = served
        after = server.rss_kib()
        return {"connections": IDLE, "served": served, "rss_before_kib": before, "rss_after_kib": after,
                "kib_per_conn": (after - before) / max(alive, 1)}
    finally:
        for s in conns:
            s.close()
        server.stop()


def demangle(text):
    """Swift symbols in perf's output, demangled (simplified) by `swift demangle`."""
    try:
        return subprocess.run(["swift", "demangle", "--simplified"], input=text, capture_output=True, text=True,
                              check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return text


def profile():
    """perf record (cpu-clock, call graphs) of scheduler-core under the plaintext workload."""
    if not shutil.which("perf"):
        return None
    port = free_port()
    data = os.path.join(BIN, "perf.data")
    # Started under perf (attaching with -p recorded no samples on this VM).
    server = Server(OURS, port, prefix=["perf", "record", "-e", "cpu-clock", "-F", "4999", "-g", "-o", data, "--"])
    try:
        wrk(port, "/", [], 1)
        result = wrk(port, "/", [], SECONDS)
    finally:
        server.stop()
    flat = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "dso,symbol", "--stdio",
                           "-g", "none", "--percent-limit", "0.3"], capture_output=True, text=True).stdout
    graph = subprocess.run(["perf", "report", "-i", data, "--children", "--sort", "symbol", "--stdio",
                            "-g", "caller,0.5,callee,function,percent", "--percent-limit", "3"],
                           capture_output=True, text=True).stdout
    return {"rps_under_perf": result["rps"], "flat": demangle(flat), "graph": demangle(graph)}


RUNTIME_FRAMES = ("malloc", "calloc", "realloc", "posix_memalign", "aligned_alloc", "swift_slowAlloc",
                  "swift_allocObject", "_swift_allocObject", "swift_allocBox", "operator new",
                  "_int_malloc", "__libc_malloc", "swift_allocEmptyBox")


def alloc_sites(seconds=2):
    """Who calls malloc in scheduler-core under the plaintext workload: a uprobe on glibc's malloc
    (perf probe), every call recorded with its frame-pointer call chain, the chains aggregated by
    the first three frames above the allocator (Swift runtime allocation entry points skipped)."""
    libc = next((p for p in ("/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6")
                 if os.path.exists(p)), None)
    if not shutil.which("perf") or not libc:
        return None
    probe = subprocess.run(["perf", "probe", "-x", libc, "-a", "malloc"], capture_output=True, text=True)
    if probe.returncode != 0 and "already exists" not in probe.stderr:
        return {"error": probe.stderr.strip()[-300:]}
    port = free_port()
    data = os.path.join(BIN, "perf-malloc.data")
    try:
        server = Server(OURS, port, prefix=["perf", "record", "-e", "probe_libc:malloc", "-g", "-o", data, "--"])
        try:
            warm = wrk(port, "/", [], 1)
            result = wrk(port, "/", [], seconds)
        finally:
            server.stop()
    finally:
        subprocess.run(["perf", "probe", "-d", "probe_libc:malloc"], capture_output=True)
    script = demangle(subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym,dso"], capture_output=True,
                                     text=True).stdout)
    sites, total = {}, 0
    for block in script.split("\n\n"):
        frames = [ln.strip().split(None, 1)[1] if len(ln.strip().split(None, 1)) > 1 else "?"
                  for ln in block.strip().splitlines()]
        if not frames:
            continue
        total += 1
        names = [re.sub(r"\+0x[0-9a-f]+", "", f.rsplit(" (", 1)[0]) for f in frames]
        i = 0
        while i < len(names) and any(names[i] == r or names[i].startswith(r) for r in RUNTIME_FRAMES):
            i += 1
        key = " <- ".join(n[:90] for n in names[i:i + 3]) or "?"
        sites[key] = sites.get(key, 0) + 1
    top = sorted(sites.items(), key=lambda kv: -kv[1])[:15]
    return {"requests": warm["requests"] + result["requests"], "mallocs_recorded": total, "sites": top}


def run_router_row():
    """The router row's rounds: plain handler and the four routed servers, alternating order."""
    router_row = {PLAIN: [], ROUTED: [], ROUTED_LINE: [], ROUTED_BUFFERED: [], ROUTED_ASYNC: []}
    for round_index in range(ROUNDS):
        order = [PLAIN, ROUTED, ROUTED_LINE, ROUTED_BUFFERED, ROUTED_ASYNC]
        for name in (order if round_index % 2 == 0 else order[::-1]):
            result = one_run(name, ROUTER_WORKLOAD[0])
            router_row[name].append(result)
            print("round %d %-12s %-48s %9.0f req/s  %.2f us CPU/req" % (
                round_index + 1, ROUTER_WORKLOAD[0], name, result["rps"], result["cpu_us_per_req"]), flush=True)
    return router_row


def router_only():
    """`run_bench.py --router-only`: the router row alone, written to bench/results/router-row.md."""
    load_before = os.getloadavg()
    row = run_router_row()
    plain = med(row[PLAIN], "rps")
    lines = ["# Router row (`python3 bench/http/run_bench.py --router-only`)", "",
             "`GET /users/42`, our server on one loop pinned to CPU 0, wrk (64 connections) on CPU 1, %d rounds of "
             "%d s, medians; load average %.2f before, %.2f after." % (ROUNDS, SECONDS, load_before[0],
                                                                     os.getloadavg()[0]), "",
             "| server | requests/s | vs plain | server CPU µs/req | rounds (req/s) |", "| --- | ---: | ---: | ---: | --- |"]
    for name in (PLAIN, ROUTED, ROUTED_LINE, ROUTED_BUFFERED, ROUTED_ASYNC):
        rps = med(row[name], "rps")
        lines.append("| %s | %.0f | %.2fx | %.2f | %s |" % (
            name, rps, rps / plain, med(row[name], "cpu_us_per_req"), ", ".join("%.0f" % r["rps"] for r in row[name])))
    text = "\n".join(lines) + "\n"
    with open(os.path.join(RESULTS, "router-row.md"), "w") as f:
        f.write(text)
    print(text)


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(max(IDLE * 2 + 1024, 4096), hard) if hard != resource.RLIM_INFINITY else IDLE * 2 + 1024
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    raw = os.path.join(RESULTS, "http.json")
    if "--report-only" in sys.argv:
        with open(raw) as f:
            write_results(json.load(f))
        return
    if "--no-build" not in sys.argv:
        build()
    if "--router-only" in sys.argv:
        router_only()
        return
    samples = {n: {w: [] for w, _, _ in WORKLOADS} for n in NAMES}
    load_before = os.getloadavg()
    for round_index in range(ROUNDS):
        for workload, _, _ in WORKLOADS:
            shift = round_index % len(NAMES)
            for name in NAMES[shift:] + NAMES[:shift]:
                result = one_run(name, workload)
                samples[name][workload].append(result)
                print("round %d %-12s %-15s %9.0f req/s  p99 %8.0f us  %.2f us CPU/req" % (
                    round_index + 1, workload, name, result["rps"], result["p99_us"], result["cpu_us_per_req"]),
                      flush=True)
    router_row = run_router_row()
    saved = {"router_row": router_row, "rounds": ROUNDS, "seconds_per_run": SECONDS, "host": os.uname().nodename, "cpus": CPUS,
             "command": os.environ.get("BENCH_COMMAND", "make bench-http"), "samples": samples,
             "nice": os.environ.get("BENCH_NICE", "0"), "loadavg_before": load_before, "loadavg_after": os.getloadavg()}
    saved["allocations"] = {}
    for name in (OURS, CORE, C, HB, NIO):
        saved["allocations"][name] = allocations(name)
        print("allocations", name, saved["allocations"][name], flush=True)
    saved["idle"] = {}
    for index, name in enumerate(NAMES):
        saved["idle"][name] = idle_rss(name, index)
        print("idle", name, saved["idle"][name], flush=True)
    prof = profile() if PROFILE else None
    if PROFILE:
        saved["alloc_sites"] = alloc_sites()
        print("alloc sites", saved["alloc_sites"], flush=True)
    if prof:
        with open(os.path.join(RESULTS, "http.profile.txt"), "w") as f:
            f.write("# perf record -e cpu-clock -g, scheduler-core http-server --threads 1, wrk plaintext 64 conns\n")
            f.write("# requests/s while recorded: %.0f\n\n## flat (self time)\n\n" % prof["rps_under_perf"])
            f.write(prof["flat"])
            f.write("\n\n## call graph (children, callers)\n\n")
            f.write(prof["graph"])
        saved["profile_top"] = top_symbols(prof["flat"], 15)
        saved["profile_rps"] = prof["rps_under_perf"]
    os.makedirs(RESULTS, exist_ok=True)
    with open(raw, "w") as f:
        json.dump(saved, f, indent=1)
    write_results(saved)


def top_symbols(flat, count):
    rows = []
    for line in flat.splitlines():
        m = re.match(r"^\s+([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(.*)$", line)
        if m:
            rows.append([float(m.group(1)), m.group(2), m.group(3).strip()])
    return rows[:count]


def med(rows, key):
    return statistics.median(float(r[key]) for r in rows)


def paired(rows, peer, key):
    """The median over rounds of rows[i][key] / peer[i][key] (both measured in round i), then each
    round's ratio."""
    ratios = [r[key] / q[key] for r, q in zip(rows, peer) if q[key]]
    if not ratios:
        return "-"
    return "%.2fx (%s)" % (statistics.median(ratios), ", ".join("%.2f" % x for x in ratios))


def write_results(saved):
    samples = saved["samples"]
    lines = [
        "# HTTP server benchmark",
        "",
        "`%s` on %s (%d CPUs); %d interleaved rounds, %d s per run after a 1 s warm-up run; every server"
        % (saved["command"], saved["host"], saved["cpus"], saved["rounds"], saved["seconds_per_run"]),
        "single-threaded and pinned to CPU %s, wrk (one thread, `--latency`) on CPU %s. Medians over rounds."
        % (SERVER_CPU, CLIENT_CPU),
        "Servers and wrk ran at nice %s; load average (1 min) %.1f before the rounds, %.1f after them: the"
        % (saved.get("nice", "0"), saved.get("loadavg_before", [0])[0], saved.get("loadavg_after", [0])[0]),
        "machine was shared with other builds while this ran.",
        "CPU per request is the server process's utime+stime from /proc/PID/stat over the run (nginx: its",
        "worker) divided by the requests wrk counted (clock-tick resolution, 10 ms per read).",
        "The \"per round\" columns pair each round's run with the peer's run in the same round (minutes",
        "apart, under about the same load from the rest of the machine) and give the median of those",
        "ratios, then each round's; the columns before them divide medians taken over all rounds.",
        "",
    ]
    titles = {"plaintext": "Plaintext: `GET /`, 64 connections",
              "pipelined16": "Pipelined: `GET /`, 64 connections, 16 requests per write (bench/http/pipeline.lua)",
              "json": "JSON: `GET /json`, 64 connections",
              "browser": "Browser request: `GET /` with the 13 header fields Chrome sends (about 700 bytes), 64 connections"}
    for workload, _, _ in WORKLOADS:
        names = [n for n in NAMES if samples.get(n)]  # results from before the core row lack it
        data = {n: samples[n][workload] for n in names}
        ref_rps, ref_cpu = med(data[C], "rps"), med(data[C], "cpu_us_per_req")
        hb_rps, nio_rps = med(data[HB], "rps"), med(data[NIO], "rps")
        lines += ["## " + titles[workload], "",
                  "| server | requests/s | vs C io_uring | vs Hummingbird 2 | vs NIOHTTP1 | p50 µs | p99 µs | server CPU µs/req | CPU vs C io_uring | user + sys µs | server CPU share | wrk CPU µs/req, share | errors | rounds (req/s) | vs C, per round | CPU vs C, per round | vs NIOHTTP1, per round |",
                  "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | --- | --- |"]
        for n in names:
            rows = data[n]
            rps, cpu = med(rows, "rps"), med(rows, "cpu_us_per_req")
            errors = sum(r["socket_errors"] + r["non_2xx"] for r in rows)
            wrk_cpu = "%.2f, %.2f" % (med(rows, "wrk_cpu_us_per_req"), med(rows, "wrk_cpu_share")) \
                if all("wrk_cpu_share" in r for r in rows) else "-"
            lines.append("| %s | %.0f | %.2fx | %.2fx | %.2fx | %.0f | %.0f | %.2f | %.2fx | %.2f + %.2f | %.2f | %s | %d | %s | %s | %s | %s |" % (
                n, rps, rps / ref_rps, rps / hb_rps, rps / nio_rps, med(rows, "p50_us"), med(rows, "p99_us"), cpu,
                cpu / ref_cpu, med(rows, "user_us_per_req"), med(rows, "sys_us_per_req"), med(rows, "cpu_share"),
                wrk_cpu, errors, ", ".join("%.0f" % r["rps"] for r in rows),
                paired(rows, data[C], "rps"), paired(rows, data[C], "cpu_us_per_req"), paired(rows, data[NIO], "rps")))
        lines.append("")
    alloc = saved.get("allocations", {})
    if alloc:
        lines += ["## Heap allocations per plaintext request", "",
                  "Counted by `bench/http/malloc_count.c` (LD_PRELOAD; malloc, calloc, memalign family; realloc",
                  "on its own) in the whole process between two SIGUSR1 reads around a %d s plaintext wrk run"
                  % saved["seconds_per_run"],
                  "(64 connections, after a 1 s warm-up), divided by wrk's request count. Connection setup of",
                  "the 64 connections is included (spread over all requests: negligible).", "",
                  "| server | allocations / request | reallocs / request | frees / request | requests counted |",
                  "| --- | ---: | ---: | ---: | ---: |"]
        for n, a in alloc.items():
            lines.append("| %s | %.2f | %.2f | %.2f | %d |" % (n, a["allocs_per_req"], a["reallocs_per_req"],
                                                            a["frees_per_req"], a["requests"]))
        lines.append("")
    idle = saved.get("idle", {})
    if idle:
        lines += ["## RSS per idle keep-alive connection", "",
                  "%d connections from one Python client (RLIMIT_NOFILE raised), each answered one `GET /` and"
                  % next(iter(idle.values()))["connections"],
                  "then left open; VmRSS of the server (nginx: its worker) after a warm-up request, and 1 s after",
                  "the last connection was answered. Per connection = difference / connections answered.", "",
                  "| server | connections answered | VmRSS before KiB | VmRSS after KiB | KiB / idle connection |",
                  "| --- | ---: | ---: | ---: | ---: |"]
        for n, r in idle.items():
            lines.append("| %s | %d of %d | %d | %d | %.2f |" % (n, r["served"], r["connections"], r["rss_before_kib"],
                                                               r["rss_after_kib"], r["kib_per_conn"]))
        lines.append("")
    # Targets
    def m(n, w, k):
        return med(samples[n][w], k)
    verdict = lambda ok: "met" if ok else "NOT met"
    pt = "plaintext"
    lines += ["## Targets (issue 12)", "",
              "For both of our rows: `%s` (http-server, the whole HTTP.md stack) and `%s` (the same server" % (OURS, CORE),
              "with a plain handler, set up as the peers are: no router, middleware or log line).", ""]
    def p(n, peer, w, k):
        ratios = [a[k] / b[k] for a, b in zip(samples[n][w], samples[peer][w]) if b[k]]
        return statistics.median(ratios) if ratios else float("nan")

    def judged(ratio, paired_ratio, ok):
        return "%.2fx, %s (paired per round: %.2fx, %s)" % (ratio, verdict(ok(ratio)), paired_ratio, verdict(ok(paired_ratio)))

    lines += ["Each ratio is given twice: between medians over all rounds, and as the median of the ratios",
              "within each round (see the \"per round\" columns above).", ""]
    for ours in (OURS, CORE):
        if not samples.get(ours):
            continue
        r = m(ours, pt, "rps") / m(C, pt, "rps")
        c = m(ours, pt, "cpu_us_per_req") / m(C, pt, "cpu_us_per_req")
        lines.append("- %s: plaintext >= 1.0x C io_uring: %s" % (ours, judged(r, p(ours, C, pt, "rps"), lambda x: x >= 1.0)))
        lines.append("- %s: at <= 1.1x its CPU per request: %s" % (
            ours, judged(c, p(ours, C, pt, "cpu_us_per_req"), lambda x: x <= 1.1)))
        r = m(ours, "pipelined16", "rps") / m(C, "pipelined16", "rps")
        lines.append("- %s: pipelined >= 0.8x C io_uring: %s" % (
            ours, judged(r, p(ours, C, "pipelined16", "rps"), lambda x: x >= 0.8)))
        for w, _, _ in WORKLOADS:
            rh = m(ours, w, "rps") / m(HB, w, "rps")
            rn = m(ours, w, "rps") / m(NIO, w, "rps")
            lines.append("- %s: %s >= 3x Hummingbird 2: %s; >= 2x NIOHTTP1: %s" % (
                ours, w, judged(rh, p(ours, HB, w, "rps"), lambda x: x >= 3),
                judged(rn, p(ours, NIO, w, "rps"), lambda x: x >= 2)))
    if OURS in alloc:
        a = alloc[OURS]["allocs_per_req"] + alloc[OURS]["reallocs_per_req"]
        lines.append("- <= 4 heap allocations per request (allocations + reallocs): %.2f, %s" % (a, verdict(a <= 4)))
    if OURS in idle:
        k = idle[OURS]["kib_per_conn"]
        ok = k <= 4 and idle[OURS]["served"] == idle[OURS]["connections"]
        lines.append("- <= 4 KiB RSS per idle connection: %.2f KiB over %d of %d connections, %s" % (
            k, idle[OURS]["served"], idle[OURS]["connections"], verdict(ok)))
    if saved.get("router_row"):
        row = saved["router_row"]
        plain_rps = med(row[PLAIN], "rps")
        for name, handler in ((ROUTED, "swift-log's StreamLogHandler"), (ROUTED_LINE, "LineLogHandler"),
                              (ROUTED_BUFFERED, "LineLogHandler with a 64 KiB buffer"),
                              (ROUTED_ASYNC, "the same with an async handler, so the async chain")):
            if not row.get(name):
                continue
            routed_rps = med(row[name], "rps")
            cost = 1 - routed_rps / plain_rps
            lines.append("- `GET /users/:id` through the router with request-id and logging middleware (%s): %.0f req/s "
                         "against %.0f for a plain handler (%.1f vs %.1f µs CPU/req): costs %.1f %% of throughput, "
                         "target <= 10 %%: %s"
                         % (handler, routed_rps, plain_rps, med(row[name], "cpu_us_per_req"),
                            med(row[PLAIN], "cpu_us_per_req"), 100 * cost, verdict(cost <= 0.10)))
    lines.append("")
    if saved.get("profile_top"):
        lines += ["## Where scheduler-core spends its time (plaintext)", "",
                  "`perf record -e cpu-clock -F 4999 -g` on the server during a %d s plaintext wrk run"
                  % saved["seconds_per_run"],
                  "(%.0f requests/s while recorded). Top 15 symbols by self time, kernel included; the whole"
                  % saved["profile_rps"],
                  "report and the call graph are in `http.profile.txt`.", "",
                  "| self % | object | symbol |", "| ---: | --- | --- |"]
        for pct, dso, sym in saved["profile_top"]:
            sym = re.split(r"\s{2,}", sym.strip())[0]
            lines.append("| %.2f | %s | `%s` |" % (pct, dso, sym.replace("|", "\\|")[:160]))
        lines.append("")
    sites = saved.get("alloc_sites")
    if sites and "sites" in sites:
        n = max(sites["requests"], 1)
        lines += ["## Where scheduler-core allocates (plaintext)", "",
                  "A uprobe on glibc's `malloc` (`perf probe`), every call recorded with its call chain during",
                  "a 1 s warm-up and a 2 s plaintext wrk run (server start-up included): %d malloc calls for %d"
                  % (sites["mallocs_recorded"], sites["requests"]),
                  "requests (%.2f per request; calloc/realloc/posix_memalign are not probed). Sites are the first"
                  % (sites["mallocs_recorded"] / n),
                  "three frames above the allocator (Swift runtime entry points such as `swift_allocObject`",
                  "skipped), `a <- b <- c` = a called by b called by c.", "",
                  "| malloc calls / request | call site |", "| ---: | --- |"]
        for key, count in sites["sites"]:
            lines.append("| %.2f | `%s` |" % (count / n, key.replace("|", "\\|")))
        lines.append("")
    lines += notes(samples)
    with open(os.path.join(RESULTS, "http.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    chart(samples)


def notes(samples):
    def spread(rows):
        v = [r["rps"] for r in rows]
        return max(v) / min(v)
    worst = max(spread(samples[n][w]) for n in NAMES if samples.get(n) for w, _, _ in WORKLOADS)
    return [
        "## How far to trust these numbers", "",
        "Within one server and workload, the fastest and slowest round differ by up to %.2fx in requests/s;" % worst,
        "ratios between servers smaller than that spread are not a result. The machine is a shared",
        "2-CPU VM: wrk on the other CPU bounds the fastest servers (a server CPU share well under 1.00 means",
        "the server was waiting for wrk, and then CPU per request is the steadier comparison). The wrk column",
        "is wrk's own user+sys CPU per request and its share of its CPU: at a share near 1.00 the run shows",
        "wrk's ceiling (about 1 / its µs per request), which no server can pass.",
        "",
        "Every server answers `Hello, World!` (text/plain) and the JSON body with Content-Length and a Date",
        "header; wrk sends its default request (`GET / HTTP/1.1` with a Host header only). The C io_uring",
        "server scans each head (request line, each header line to the blank line) and writes a fixed",
        "response: no header values are kept, no routing beyond `/json`. nginx runs with a master and one",
        "worker (both on CPU 0), access log off, keepalive_requests raised so that wrk's connections stay",
        "open. Hummingbird 2 and NIOHTTP1 use a one-thread MultiThreadedEventLoopGroup; Hummingbird's",
        "handlers also run on Swift's global concurrency pool (its threads are on CPU 0 too).",
        "",
    ]


def chart(samples):
    path = os.path.join(RESULTS, "http.png")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: http.png not written")
        return
    fig, axes = plt.subplots(1, 4, figsize=(18, 4.8))
    colors = ["#1f77b4", "#17becf", "#d62728", "#7f7f7f", "#ff7f0e", "#2ca02c"]

    def bars(ax, workload, key, title, unit):
        shown = [n for n in NAMES if samples.get(n)]
        values = [[float(r[key]) for r in samples[n][workload]] for n in shown]
        medians = [statistics.median(v) for v in values]
        low = [m - min(v) for m, v in zip(medians, values)]
        high = [max(v) - m for m, v in zip(medians, values)]
        ax.bar(range(len(shown)), medians, yerr=[low, high], capsize=4, color=colors[:len(shown)])
        ax.set_xticks(range(len(shown)))
        ax.set_xticklabels([n.replace(" ", "\n", 1) for n in shown], fontsize=8)
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(unit)
        for i, m in enumerate(medians):
            ax.text(i, m, "%.0f" % m if m >= 10 else "%.2f" % m, ha="center", va="bottom", fontsize=8)

    bars(axes[0], "plaintext", "rps", "plaintext GET /, 64 conns", "requests / s (median, min-max)")
    bars(axes[1], "pipelined16", "rps", "pipelined 16 deep, 64 conns", "requests / s")
    bars(axes[2], "json", "rps", "GET /json, 64 conns", "requests / s")
    bars(axes[3], "plaintext", "cpu_us_per_req", "server CPU per plaintext request", "µs")
    fig.suptitle("HTTP servers, single-threaded on one CPU, 127.0.0.1 (make bench-http)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print("wrote", path)


if __name__ == "__main__":
    main()
