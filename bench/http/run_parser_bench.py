#!/usr/bin/env python3
"""`make bench-parser`: scheduler-core's HTTPRequestParser against llhttp, bytes/s.

Builds bench/http/peers' ParserBench in release (its own scratch path, .build-httppeers) and runs
it ROUNDS times (default 3) pinned to one CPU, SECONDS_PER_CASE (default 2) per case and parser,
in 8 turns that alternate between the parsers (each parser's rate: the median of its turns).
Inputs: TechEmpower's plaintext request, a ~700-byte browser request, a 40-header request (the
texts are in bench/http/peers/Sources/ParserBench/main.swift). Writes bench/results/parser.md and
parser.json (medians over rounds).
"""
import json, os, statistics, subprocess, sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RESULTS = os.path.join(ROOT, "bench", "results")
SCRATCH = os.environ.get("PEERS_SCRATCH", ".build-httppeers")
ROUNDS = int(os.environ.get("ROUNDS", "3"))
SECONDS = os.environ.get("SECONDS_PER_CASE", "2")
CPU = "0"


def main():
    if "--no-build" not in sys.argv:
        cmd = ["swift", "build", "-c", "release", "--package-path", "bench/http/peers", "--scratch-path", SCRATCH,
               "--product", "ParserBench"]
        print("+", " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True, cwd=ROOT)
    exe = os.path.join(ROOT, SCRATCH, "release", "ParserBench")
    if not os.path.exists(exe):
        exe = os.path.join(ROOT, SCRATCH, "%s-unknown-linux-gnu" % os.uname().machine, "release", "ParserBench")
    rows = []
    for r in range(ROUNDS):
        out = subprocess.run(["taskset", "-c", CPU, exe, SECONDS], check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            row = dict(kv.split("=", 1) for kv in line.split())
            row["round"] = r + 1
            rows.append(row)
            print(line, flush=True)
    cases = []
    for row in rows:
        if row["case"] not in cases:
            cases.append(row["case"])
    with open(os.path.join(RESULTS, "parser.json"), "w") as f:
        json.dump({"rounds": ROUNDS, "seconds_per_case": float(SECONDS), "samples": rows}, f, indent=1)

    def med(case, parser, key):
        return statistics.median(float(r[key]) for r in rows if r["case"] == case and r["parser"] == parser)

    lines = [
        "# HTTP request parser benchmark",
        "",
        "`%s` on %s: %d rounds, %s s per case and parser in 8 turns alternating between the parsers,"
        " pinned to CPU %s; medians of turns, then of rounds."
        % (os.environ.get("BENCH_COMMAND", "make bench-parser"), os.uname().nodename, ROUNDS, SECONDS, CPU),
        "Each input is parsed as one keep-alive request after another from the same buffer.",
        "",
        "- **ours**: `HTTPRequestParser.nextView` until `.end`: each head checked as strictly as the",
        "  server checks it (RFC 9112: tokens, target, version, every field byte, Host, Content-Length,",
        "  Transfer-Encoding, Connection) and handed over as byte spans of the method, the target and",
        "  each field's name and value; the bench adds up their lengths. That is llhttp's output, so",
        "  this is the like-for-like row, and the one the >= 2x target is judged on.",
        "- **llhttp**: swift-nio's copy (target CNIOLLHTTP, strict mode, imported through",
        "  NIOHTTP1, which is how NIO uses it), `llhttp_execute` with URL, header field/value and",
        "  message-complete callbacks that only count. llhttp builds no head: NIOHTTP1 does that on top.",
        "- **ours+types**: `HTTPRequestParser.next`, which also builds the swift-http-types `HTTPRequest`",
        "  (method, path, authority, an `HTTPFields` with every other field): what the server's handlers",
        "  get. Most of its time is swift-http-types' own (a String and a validation per field).",
        "",
        "| request | bytes | ours MB/s | llhttp MB/s | ours / llhttp | target >= 2x | ours ns/request | llhttp ns/request | ours+types ns/request | ours+types / llhttp |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for case in cases:
        o, l, t = (med(case, p, "bytes_per_s") for p in ("ours", "llhttp", "ours+types"))
        size = int(next(r["bytes"] for r in rows if r["case"] == case))
        lines.append("| %s | %d | %.0f | %.0f | %.2fx | %s | %.0f | %.0f | %.0f | %.2fx |" % (
            case, size, o / 1e6, l / 1e6, o / l, "met" if o >= 2 * l else "NOT met",
            med(case, "ours", "ns_per_request"), med(case, "llhttp", "ns_per_request"),
            med(case, "ours+types", "ns_per_request"), t / l))
    lines.append("")
    with open(os.path.join(RESULTS, "parser.md"), "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
