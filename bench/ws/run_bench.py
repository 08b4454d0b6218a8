#!/usr/bin/env python3
"""`make bench-ws`: WebSocket echo on our HTTPRouter route against Hummingbird's WebSocket.

Servers (one event loop each, the whole process pinned to CPU 0, 127.0.0.1 only): bench/ws
SchedulerWSServer (HTTPRouter.webSocket) and HummingbirdWSServer (hummingbird-websocket,
`.http1WebSocketUpgrade`). Load (pinned to CPU 1): bench/ws/ws_load.c, one C thread on epoll
(built by `make bench-ws` into .build-wsbench/ws_load), CONNECTIONS sockets each doing the
opening handshake, then keeping DEPTH masked binary messages of SIZE bytes in flight and
counting the complete echoes, for SECONDS_PER_RUN seconds after a one-second warm-up. Depth 1
is strict ping-pong (one message in flight per connection); depth 16 lets a server that can
batch show its capacity. Each round runs every (size, depth, server) once, the servers' order
alternating between rounds. Reported: messages/s, the server's CPU µs per message (user +
system of the server process over the measured window) and the load generator's own CPU
share (near 1.00 would mean the client, not the server, was the limit) beside the server's
(near 1.00: the server's one CPU was full), medians over rounds,
and the ratios of ours to Hummingbird. Writes bench/results/ws.md and ws.json.
Environment: ROUNDS (3), SECONDS_PER_RUN (5), CONNECTIONS (64), DEPTHS ("1,16"), WS_LOAD (path),
BENCH_NICE (0; -10 gives servers and load the CPUs on a machine busy with other work).
"""
import json, os, statistics, subprocess, sys, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "http"))
import run_bench as http  # noqa: E402  (ports, pinning, helpers)

ROOT = http.ROOT
RESULTS = http.RESULTS
SCRATCH = ".build-wsbench"
ROUNDS = int(os.environ.get("ROUNDS", "3"))
SECONDS = float(os.environ.get("SECONDS_PER_RUN", "5"))
CONNECTIONS = int(os.environ.get("CONNECTIONS", "64"))
DEPTHS = [int(d) for d in os.environ.get("DEPTHS", "1,16").split(",")]
WS_LOAD = os.environ.get("WS_LOAD", os.path.join(ROOT, SCRATCH, "ws_load"))
OURS, HB = "scheduler-core", "Hummingbird WebSocket"
SERVERS = {OURS: "SchedulerWSServer", HB: "HummingbirdWSServer"}
SIZES = [64, 16384]


def one_run(server, size, depth):
    port = http.free_port()
    binary = os.path.join(http.bin_dir(SCRATCH), SERVERS[server])
    proc = subprocess.Popen(http.NICE + ["taskset", "-c", http.SERVER_CPU, binary, str(port)], stdout=subprocess.DEVNULL)
    try:
        if not http.wait_listening(port):
            raise RuntimeError("%s did not listen" % server)
        load = subprocess.run(
            http.NICE + ["taskset", "-c", http.CLIENT_CPU, WS_LOAD, "--port", str(port), "--path", "/ws",
                         "--connections", str(CONNECTIONS), "--size", str(size), "--depth", str(depth),
                         "--seconds", str(SECONDS), "--warmup", "1", "--pid", str(proc.pid)],
            stdout=subprocess.PIPE, text=True, timeout=SECONDS + 90, check=True)
        result = json.loads(load.stdout.strip().splitlines()[-1])
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return {"server": server, "size": size, "depth": depth, "messages_per_s": result["messages_per_s"],
            "server_cpu_us_per_message": result["server_cpu_us_per_message"],
            "server_cpu_share": result["server_cpu_s"] / result["seconds"],
            "client_cpu_share": result["client_cpu_share"], "errors": result["errors"]}


def main():
    http.run(["swift", "build", "-c", "release", "--package-path", "bench/ws", "--scratch-path", os.path.join(ROOT, SCRATCH)])
    if not os.access(WS_LOAD, os.X_OK):
        sys.exit("bench-ws: %s is missing; `make bench-ws` builds it from bench/ws/ws_load.c" % WS_LOAD)
    load_before = os.getloadavg()
    rows = []
    for round_index in range(ROUNDS):
        for size in SIZES:
            for depth in DEPTHS:
                order = list(SERVERS) if round_index % 2 == 0 else list(reversed(list(SERVERS)))
                for server in order:
                    row = one_run(server, size, depth)
                    print(json.dumps(row), flush=True)
                    rows.append(row)
    load_after = os.getloadavg()
    lines = [
        "# WebSocket echo: %d connections, binary messages, %d rounds of %.0f s (medians)" % (CONNECTIONS, ROUNDS, SECONDS),
        "",
        "`make bench-ws` on %s (%d CPUs). Each server single-threaded and pinned to CPU %s; the load is"
        " bench/ws/ws_load.c (C, one epoll thread, pinned to CPU %s): a handshake per connection, then"
        " masked binary messages, `depth` in flight per connection (1: strict ping-pong), each echo counted"
        " when complete. Server CPU is its process's utime+stime over the measured window. Load average"
        " (1/5/15 min) %.2f/%.2f/%.2f before, %.2f/%.2f/%.2f after; servers and load at nice %s."
        % ((os.uname().nodename, http.CPUS, http.SERVER_CPU, http.CLIENT_CPU) + tuple(load_before) + tuple(load_after)
           + (os.environ.get("BENCH_NICE", "0"),)),
        "",
        "| size | depth | server | messages/s | server CPU µs/message | server CPU share | load CPU share | errors | rounds (messages/s) |",
        "|---|---|---|---|---|---|---|---|---|"]
    summary = {}
    for size in SIZES:
        for depth in DEPTHS:
            for server in SERVERS:
                mine = [r for r in rows if r["server"] == server and r["size"] == size and r["depth"] == depth]
                rate = statistics.median(r["messages_per_s"] for r in mine)
                cpu = statistics.median(r["server_cpu_us_per_message"] for r in mine)
                server_share = statistics.median(r["server_cpu_share"] for r in mine)
                share = statistics.median(r["client_cpu_share"] for r in mine)
                summary[(server, size, depth)] = (rate, cpu)
                lines.append("| %d B | %d | %s | %.0f | %.2f | %.2f | %.2f | %d | %s |" % (
                    size, depth, server, rate, cpu, server_share, share, sum(r["errors"] for r in mine),
                    ", ".join("%.0f" % r["messages_per_s"] for r in mine)))
    lines.append("")
    for size in SIZES:
        for depth in DEPTHS:
            ours, peer = summary[(OURS, size, depth)], summary[(HB, size, depth)]
            ratio = ours[0] / peer[0]
            lines.append(
                "- %d B, depth %d: messages/s ours/Hummingbird **%.2fx** (target >= 2x: %s); server CPU per message"
                " Hummingbird/ours %.2fx" % (size, depth, ratio, "met" if ratio >= 2 else "not met", peer[1] / ours[1]))
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "ws.md"), "w") as f:
        f.write(text)
    with open(os.path.join(RESULTS, "ws.json"), "w") as f:
        json.dump({"load_average_before": load_before, "load_average_after": load_after, "rows": rows}, f, indent=1)


if __name__ == "__main__":
    main()
