#!/usr/bin/env python3
"""`make bench-client`: our HTTPClient against AsyncHTTPClient, in the same run.

Servers (one event loop or worker each, pinned to CPU 0, 127.0.0.1 only): the release
`http-server --threads 1` (the project's own, `GET /` through its router and middleware) and
Debian's nginx (one worker, `return 200`). Clients (pinned to CPU 1), each sending `GET /` from
CONNECTIONS concurrent keep-alive connections for SECONDS_PER_RUN seconds after a warm-up:
  scheduler-core   bench/client SchedulerClientBench (HTTPClient, one engine loop)
  AsyncHTTPClient  bench/client AHCClientBench (AsyncHTTPClient 1.37.0, one-thread event loop group)
  curl             curl --parallel --parallel-max CONNECTIONS over CURL_REQUESTS URLs (sanity peer;
                   its CPU includes its start-up)
Each round runs every (server, client) pair once, clients in a rotating order. Reported: requests/s
and client CPU µs per request (user + system of the client process during the measured part),
medians over the rounds, and the ratios of ours to AsyncHTTPClient.
Writes bench/results/client.md and client.json.
Environment: ROUNDS (3), SECONDS_PER_RUN (5), CONNECTIONS (64), CURL_REQUESTS (20000).
"""
import json, os, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "http"))
import run_bench as http  # noqa: E402  (the HTTP bench's server start/stop and helpers)

ROOT = http.ROOT
RESULTS = http.RESULTS
SCRATCH = ".build-clientbench"
ROUNDS = int(os.environ.get("ROUNDS", "3"))
SECONDS = float(os.environ.get("SECONDS_PER_RUN", "5"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "64"))
CURL_REQUESTS = int(os.environ.get("CURL_REQUESTS", "20000"))
OURS, AHC, CURL = "scheduler-core", "AsyncHTTPClient", "curl"
CLIENTS = [OURS, AHC, CURL]
SERVERS = [http.OURS, http.NGINX]


def build():
    http.run(["swift", "build", "-c", "release", "--package-path", "Examples", "--scratch-path",
              os.path.join(ROOT, http.SCRATCH), "--product", "http-server"])
    http.run(["swift", "build", "-c", "release", "--package-path", "bench/client", "--scratch-path",
              os.path.join(ROOT, SCRATCH)])


def run_client(name, port):
    url = "http://127.0.0.1:%d/" % port
    pin = ["taskset", "-c", http.CLIENT_CPU]
    if name == CURL:
        with tempfile.NamedTemporaryFile("w", suffix=".curl", delete=False) as config:
            for _ in range(CURL_REQUESTS):
                config.write('url = "%s"\noutput = "/dev/null"\n' % url)
        try:
            start = time.monotonic()
            proc = subprocess.Popen(pin + ["curl", "-s", "--parallel", "--parallel-immediate",
                                           "--parallel-max", str(CONNECTIONS), "-K", config.name])
            _, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.monotonic() - start
        finally:
            os.unlink(config.name)
        if status != 0:
            raise RuntimeError("curl exited with %d" % status)
        return {"requests": CURL_REQUESTS, "errors": 0, "seconds": elapsed,
                "cpu_seconds": usage.ru_utime + usage.ru_stime}
    program = "SchedulerClientBench" if name == OURS else "AHCClientBench"
    out = subprocess.run(pin + [os.path.join(http.bin_dir(SCRATCH), program), url, str(CONNECTIONS), str(SECONDS)],
                         check=True, capture_output=True, text=True, timeout=SECONDS + 60)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    build()
    samples = []
    for round_index in range(ROUNDS):
        for server_name in SERVERS:
            port = http.free_port()
            server = http.Server(server_name, port)
            try:
                order = CLIENTS[round_index % len(CLIENTS):] + CLIENTS[:round_index % len(CLIENTS)]
                for client in order:
                    result = run_client(client, port)
                    result.update(round=round_index, server=server_name, client=client,
                                  rps=result["requests"] / result["seconds"],
                                  cpu_us=1e6 * result["cpu_seconds"] / max(result["requests"], 1))
                    print("round %d  %-15s -> %-14s %9.0f req/s  %6.1f µs CPU/req  errors %d" % (
                        round_index, client, server_name, result["rps"], result["cpu_us"], result["errors"]),
                        flush=True)
                    samples.append(result)
            finally:
                server.stop()
    write(samples)


def median(samples, server, client, key):
    return statistics.median(s[key] for s in samples if s["server"] == server and s["client"] == client)


def write(samples):
    os.makedirs(RESULTS, exist_ok=True)
    lines = ["# Client bench (`make bench-client`)", "",
             "%d rounds of %.0f s, %d concurrent keep-alive connections, `GET /`; servers on CPU 0, clients on CPU %s. "
             "Medians over the rounds." % (ROUNDS, SECONDS, CONNECTIONS, http.CLIENT_CPU), "",
             "| server | client | requests/s | client CPU µs/request | errors |", "| --- | --- | --- | --- | --- |"]
    summary = {}
    for server in SERVERS:
        for client in CLIENTS:
            rps, cpu = median(samples, server, client, "rps"), median(samples, server, client, "cpu_us")
            errors = sum(s["errors"] for s in samples if s["server"] == server and s["client"] == client)
            lines.append("| %s | %s | %.0f | %.1f | %d |" % (server, client, rps, cpu, errors))
        rps_ratio = median(samples, server, OURS, "rps") / median(samples, server, AHC, "rps")
        cpu_ratio = median(samples, server, OURS, "cpu_us") / median(samples, server, AHC, "cpu_us")
        summary[server] = {"rps_ratio": rps_ratio, "cpu_ratio": cpu_ratio}
    lines += ["", "Ours against AsyncHTTPClient (target: requests/s >= 2x at client CPU per request <= 0.5x):", ""]
    for server, ratios in summary.items():
        lines.append("- against %s: requests/s %.2fx, CPU per request %.2fx" % (server, ratios["rps_ratio"], ratios["cpu_ratio"]))
    text = "\n".join(lines) + "\n"
    with open(os.path.join(RESULTS, "client.md"), "w") as f:
        f.write(text)
    with open(os.path.join(RESULTS, "client.json"), "w") as f:
        json.dump({"samples": samples, "ratios": summary}, f, indent=1)
    print(text)


if __name__ == "__main__":
    main()
