#!/usr/bin/env python3
"""`make bench-ws`: WebSocket echo on our HTTPRouter route against Hummingbird's WebSocket.

Servers (one event loop each, pinned to CPU 0, 127.0.0.1 only): bench/ws SchedulerWSServer
(HTTPRouter.webSocket) and HummingbirdWSServer (hummingbird-websocket, `.http1WebSocketUpgrade`).
Load (pinned to CPU 1): bench/ws WSLoad, our WebSocket client on one engine loop, CONNECTIONS
sockets each sending a binary message and awaiting its echo, for SECONDS_PER_RUN seconds after a
one-second warm-up. Each round runs every (server, size) pair once. Reported: messages/s and the
server's CPU µs per message (user + system of the server process while measured), medians over
the rounds, and the ratios of ours to Hummingbird. The load generator is the same for both, and
on a two-core machine it can be the bottleneck: the server CPU per message is the fairer number.
Writes bench/results/ws.md and ws.json.
Environment: ROUNDS (3), SECONDS_PER_RUN (5), CONNECTIONS (64).
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
OURS, HB = "scheduler-core", "Hummingbird WebSocket"
SERVERS = {OURS: "SchedulerWSServer", HB: "HummingbirdWSServer"}
SIZES = [64, 16384]


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / http.CLK_TCK


def one_run(server, size):
    port = http.free_port()
    binary = os.path.join(http.bin_dir(SCRATCH), SERVERS[server])
    proc = subprocess.Popen(["taskset", "-c", http.SERVER_CPU, binary, str(port)], stdout=subprocess.DEVNULL)
    try:
        if not http.wait_listening(port):
            raise RuntimeError("%s did not listen" % server)
        load = subprocess.Popen(
            ["taskset", "-c", http.CLIENT_CPU, os.path.join(http.bin_dir(SCRATCH), "WSLoad"),
             "ws://127.0.0.1:%d/ws" % port, str(CONNECTIONS), str(size), str(SECONDS)],
            stdout=subprocess.PIPE, text=True)
        time.sleep(1.0)
        before = cpu_seconds(proc.pid)
        time.sleep(SECONDS)
        after = cpu_seconds(proc.pid)
        out, _ = load.communicate(timeout=60)
        result = json.loads(out.strip().splitlines()[-1])
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    messages = result["messages"]
    return {"server": server, "size": size, "messages_per_s": messages / SECONDS,
            "server_cpu_us_per_message": (after - before) * 1e6 / max(messages, 1), "errors": result["errors"]}


def main():
    http.run(["swift", "build", "-c", "release", "--package-path", "bench/ws", "--scratch-path", os.path.join(ROOT, SCRATCH)])
    rows = []
    for round_index in range(ROUNDS):
        for size in SIZES:
            for server in (list(SERVERS) if round_index % 2 == 0 else list(reversed(list(SERVERS)))):
                row = one_run(server, size)
                print(json.dumps(row), flush=True)
                rows.append(row)
    lines = ["# WebSocket echo: %d connections, binary messages, %d rounds of %.0f s (medians)" % (CONNECTIONS, ROUNDS, SECONDS), "",
             "| size | server | messages/s | server CPU µs/message | errors |", "|---|---|---|---|---|"]
    summary = {}
    for size in SIZES:
        for server in SERVERS:
            mine = [r for r in rows if r["server"] == server and r["size"] == size]
            rate = statistics.median(r["messages_per_s"] for r in mine)
            cpu = statistics.median(r["server_cpu_us_per_message"] for r in mine)
            summary[(server, size)] = (rate, cpu)
            lines.append("| %d B | %s | %.0f | %.2f | %d |" % (size, server, rate, cpu, sum(r["errors"] for r in mine)))
    lines.append("")
    for size in SIZES:
        ours, peer = summary[(OURS, size)], summary[(HB, size)]
        lines.append("%d B: messages/s ratio ours/Hummingbird %.2fx; server CPU per message ratio Hummingbird/ours %.2fx"
                     % (size, ours[0] / peer[0], peer[1] / ours[1]))
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "ws.md"), "w") as f:
        f.write(text)
    with open(os.path.join(RESULTS, "ws.json"), "w") as f:
        json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
