#!/usr/bin/env python3
"""`make mutants`: breaks the code one change at a time and checks that a test notices.

Each mutant below is one small edit (the exact text to find, what to put instead) to a copy of
this checkout in a scratch directory (MUTANTS_DIR, default /tmp/scheduler-core-mutants, with its
own .build kept between runs so that only the mutated file is recompiled). For each mutant the
script applies the edit, builds the tests, runs only the tests named by its filter on the
backends it names (each run bounded by MUTANTS_TIMEOUT seconds, default 300), restores the file,
and prints a table: caught (a test failed), hung (the run hit the time limit: a test that should
fail hangs instead), survived (every test passed), or broken (the mutant did not build, or its
text is no longer in the file: update the mutant).

Before the mutants, every filter runs once on the unchanged copy: a filter that fails or matches
no test there would make its mutants meaningless, so the script stops.

Usage: tools/mutants.py [name-substring ...]   (no argument: every mutant)
Exit status: 0 when every mutant was caught, 1 otherwise.
"""

import os
import re
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRATCH = os.environ.get("MUTANTS_DIR", "/tmp/scheduler-core-mutants")
TIMEOUT = int(os.environ.get("MUTANTS_TIMEOUT", "300"))
SWIFT = os.environ.get("SWIFT", "swift")
BOTH = ("posix", "io_uring")


class Mutant:
    def __init__(self, name, path, old, new, tests, backends=BOTH, why="", examples=False):
        self.name, self.path, self.old, self.new = name, path, old, new
        self.tests, self.backends, self.why = tests, backends, why
        # Its tests drive an Examples program (http-server): that package is rebuilt too.
        self.examples = examples


MUTANTS = [
    # The four changes of issue 18's table.
    Mutant(
        "socket-no-msg-nosignal", "CSources/CSchedulerIO/socket_calls.c", "MSG_NOSIGNAL)", "0)",
        "NoSigpipeTests", why="MSG_NOSIGNAL removed from every Socket send (both backends)"),
    Mutant(
        "engine-epoll-no-msg-nosignal", "CSources/CSchedulerEngine/engine_epoll.c",
        "sendmsg(conn->fd, &msg, MSG_NOSIGNAL)", "sendmsg(conn->fd, &msg, 0)",
        "EngineNoSigpipeTests", backends=("posix",), why="MSG_NOSIGNAL removed from the engine's epoll sends"),
    Mutant(
        "journal-no-fdatasync", "Sources/SchedulerPool/Durable/GroupCommit.swift",
        "do { try StorageFile.sync(fd, path) } catch { outcome = error }", "",
        "DurableSyncTests|DurablePoolTests", backends=("posix",),
        why="the group commit's fdatasync call removed (the sync counter still rises)"),
    Mutant(
        "socket-close-no-wake", "Sources/SchedulerSocket/Socket.swift",
        "_ = csched_io_shutdown(core.descriptor)", "",
        "DescriptorOwnershipTests", why="close() no longer wakes calls blocked on the socket"),
    # Pool and journal.
    Mutant(
        "journal-record-number-early", "Sources/SchedulerPool/Durable/PoolStorage.swift",
        "number = commit.written.load(ordering: .acquiring)", "number = commit.written.load(ordering: .acquiring) - 1",
        "DurableSyncTests", backends=("posix",),
        why="a mutation waits for the record before its own (returns before its record is synced)"),
    Mutant(
        "journal-durable-after-sync", "Sources/SchedulerPool/Durable/GroupCommit.swift",
        "durable = max(durable, target)", "durable = max(durable, written.load(ordering: .acquiring))",
        "DurableSyncTests", backends=("posix",),
        why="a sync declares records written while it ran durable"),
    Mutant(
        "journal-checksum-ignored", "Sources/SchedulerPool/Durable/JournalRecord.swift",
        "guard CRC32C.checksum(payload) == checksum else", "guard CRC32C.checksum(payload) == checksum || true else",
        "DurablePoolTests", backends=("posix",), why="replay accepts records whose checksum is wrong"),
    Mutant(
        "pool-quarantine-hour-early", "Sources/SchedulerPool/Durable/Quarantine.swift",
        "order[head].deadline <= now", "order[head].deadline <= now + 3_600_000_000_000",
        "DurablePoolTests", backends=("posix",), why="quarantined addresses come back an hour early"),
    Mutant(
        "pool-release-outside-ranges", "Sources/SchedulerPool/IPPool.swift",
        "if state.rangeIndex(containing: ip) == nil { throw IPPoolError.addressOutsideRanges(ip, pool: name) }", "",
        "SchedulerPoolTests.PoolTests", backends=("posix",),
        why="releasing an address outside every range says unknownBinding instead of addressOutsideRanges"),
    # Socket.
    Mutant(
        "socket-family-unchecked", "Sources/SchedulerSocket/SocketCall.swift",
        "address.family == family", "true || address.family == family",
        "SystemErrorTests", why="an address of the other family reaches the system call"),
    Mutant(
        "socket-call-never-ends", "Sources/SchedulerSocket/SocketCall.swift",
        "core.callsInFlight -= 1", "core.callsInFlight -= 0",
        "DescriptorOwnershipTests", why="a finished call stays counted as running (close never closes)"),
    Mutant(
        "socket-adopt-negative", "Sources/SchedulerSocket/Socket+Descriptor.swift",
        "guard descriptor >= 0 else", "guard descriptor >= -100 else",
        "AdoptBadDescriptorTests|SystemErrorTests", why="a negative descriptor is adopted instead of refused"),
    # Engine.
    Mutant(
        "engine-epoll-eagain-fatal", "CSources/CSchedulerEngine/engine_epoll.c",
        "if (errno == EAGAIN || errno == EINTR) return;", "if (errno == EINTR) return;",
        "SlowReaderTests", backends=("posix",), why="a full socket buffer (EAGAIN) fails the connection's sends"),
    Mutant(
        "engine-uring-enobufs-fatal", "CSources/CSchedulerEngine/engine_uring.c",
        "} else if (cqe->res == -ENOBUFS || cqe->res == -ECANCELED) {", "} else if (cqe->res == -ECANCELED) {",
        "tinyBufferRing", backends=("io_uring",), why="an empty buffer ring (ENOBUFS) ends the connection"),
    Mutant(
        "socket-uring-send-plain", "CSources/CSchedulerIO/socket_calls.c",
        "struct io_uring *ring = csched_io_ring_for(CSCHED_IO_OP_SEND, timeout_ns);",
        "struct io_uring *ring = 0; (void)csched_io_ring_for;", "BackendTests", backends=("io_uring",),
        why="an io_uring Socket sends with plain send(2)"),
    Mutant(
        "engine-send-failure-dropped", "Sources/SchedulerEngine/ConnectionCore+Send.swift",
        "state.send.failed(failed.errno!)", "_ = failed.errno!",
        "EngineNoSigpipeTests", why="a failed send is forgotten: later sends to a dead peer succeed"),
    # HTTP and WebSocket.
    Mutant(
        "http-cl-with-te-accepted", "Sources/SchedulerHTTP/Parser/HTTPMessageCore+FieldLines.swift",
        "throw HTTPParseError(.contentLengthWithTransferEncoding, at: streamOffset + ns)", "",
        "RequestRejectionTests", backends=("posix",),
        why="a head with both Content-Length and Transfer-Encoding is parsed (request smuggling)"),
    Mutant(
        "http-scan-tail-one-late", "CSources/CSchedulerHTTPScan/scan_inline.h",
        "mask = (mask >> (i - back)) | (1u << (end - i));", "mask = (mask >> (i - back - 1)) | (1u << (end - i));",
        "ResponseParserTests|RequestParserTests", backends=("posix",),
        why="the C scanner's last register looks one byte late (a CR can end up inside a value)"),
    Mutant(
        "http-scan-head-framing-dropped", "CSources/CSchedulerHTTPScan/head.c",
        "framing |= 1ull << k;", "(void)k;",
        "RequestParserTests", backends=("posix",),
        why="the one-call head scan forgets which lines may be framing fields (Content-Length unread)"),
    Mutant(
        "http-scan-head-long-target", "CSources/CSchedulerHTTPScan/scan_inline.h",
        "if (i == target_start || i - target_start > max_target || i >= end || p[i] != ' ') return 0;",
        "if (i == target_start || i >= end || p[i] != ' ') return 0;",
        "RequestFramingTests", backends=("posix",),
        why="the one-call head scan takes a target over the length limit"),
    Mutant(
        "http-413-after-reading", "Sources/SchedulerHTTP/Server/ServerConnection+Answer.swift",
        "if let length = head.contentLength, length > configuration.maxBodySize {",
        "if let length = head.contentLength, length > configuration.maxBodySize, false {",
        "bodyOverTheLimitGets413BeforeItIsRead", backends=("posix",),
        why="a declared body over --max-body is not refused up front"),
    Mutant(
        "websocket-unmask-before-complete", "Sources/SchedulerHTTP/WebSocket/WebSocketReceiver.swift",
        "            guard inbox.count - start >= header.headerLength + header.length else { return nil }\n"
        "            let payloadRange = (start + header.headerLength)..<(start + header.headerLength + header.length)\n"
        "            if let key = header.maskKey { WebSocketMasking.apply(key, to: &inbox, range: payloadRange) }\n",
        "            let payloadRange = (start + header.headerLength)..<(start + header.headerLength + header.length)\n"
        "            if let key = header.maskKey {\n"
        "                WebSocketMasking.apply(key, to: &inbox, range: payloadRange.clamped(to: start..<inbox.count))\n"
        "            }\n"
        "            guard inbox.count - start >= header.headerLength + header.length else { return nil }\n",
        "WebSocketReceiverSplitTests", backends=("posix",),
        why="a frame's payload is unmasked before all of it has arrived (twice when it comes in pieces)"),
    Mutant(
        "http-head-gets-a-body", "Sources/SchedulerHTTP/Server/ServerConnection.swift",
        "let withBody = method != .head && !Self.forbidsBody(code: response.statusCode)",
        "let withBody = !Self.forbidsBody(code: response.statusCode)",
        "headGetsTheHeadersOfGetWithoutBody", backends=("posix",), why="a HEAD answer carries GET's body"),
    Mutant(
        "http-no-header-timeout-at-accept", "Sources/SchedulerHTTP/Server/ServerConnection.swift",
        "        case .start: deadline.arm(nanoseconds: headerNanoseconds)",
        "        case .start: deadline.disarm()",
        "aSilentConnectionIsClosedAfterTheHeaderTimeout", backends=("posix",),
        why="a connection that sends nothing is never cut (slowloris)"),
    Mutant(
        "router-405-without-allow", "Sources/SchedulerHTTP/Router/RouteLookup.swift",
        "response.headerFields[.allow] = methods.sorted().joined(separator: \", \")", "_ = methods",
        "unknownPathIs404AndOtherMethodIs405WithAllow", backends=("posix",), why="a 405 answer lacks Allow"),
    Mutant(
        "router-options-without-allow", "Sources/SchedulerHTTP/Router/RouteLookup.swift",
        "response.headerFields[.allow] = (methods.union([\"OPTIONS\"])).sorted().joined(separator: \", \")",
        "_ = methods",
        "optionsOnAPathIs204WithItsMethods", backends=("posix",), why="OPTIONS on a path lacks Allow"),
    Mutant(
        "static-symlink-escapes-root", "Sources/SchedulerHTTP/Middleware/StaticFilePath.swift",
        "path == root || path.hasPrefix(root == \"/\" ? \"/\" : root + \"/\")", "true",
        "symlinksOutsideTheRootAreRefusedInsideServed", backends=("posix",),
        why="a symlink to a file outside the static root is served"),
    Mutant(
        "request-id-any-client-id-kept", "Sources/SchedulerHTTP/Middleware/RequestIDMiddleware.swift",
        "        return bytes.allSatisfy { byte in", "        return true || bytes.allSatisfy { byte in",
        "replacesAnInsaneClientID", backends=("posix",),
        why="a client's X-Request-ID with spaces, quotes or non-ASCII is passed on"),
    Mutant(
        "http10-kept-alive", "Sources/SchedulerHTTP/Parser/HTTPMessageCore+FieldLines.swift",
        "keepAlive = facts.connectionKeepAlive && !facts.connectionClose", "keepAlive = !facts.connectionClose",
        "http10ClosesUnlessAskedToKeepAlive", backends=("posix",),
        why="an HTTP/1.0 request without keep-alive leaves the connection open"),
    Mutant(
        "http-no-100-continue", "Sources/SchedulerHTTP/Server/InboundReader.swift",
        "try await connection.send(ResponseHead.continueHead)", "",
        "expectContinueGets100BeforeTheBody", backends=("posix",),
        why="a client sending Expect: 100-continue gets no 100 before its body is read"),
    Mutant(
        "compression-q0-ignored", "Sources/SchedulerHTTP/Middleware/ContentCodingNegotiation.swift",
        "if gzip > 0 && gzip >= deflate { return .gzip }", "if gzip >= 0 && gzip >= deflate { return .gzip }",
        "refusedCodingLeavesTheBodyButStillVaries", backends=("posix",),
        why="gzip;q=0 (or no Accept-Encoding at all) still gets gzip"),
    Mutant(
        "static-if-none-match-ignored", "Sources/SchedulerHTTP/Middleware/StaticFileResponse.swift",
        "if Self.matches(tags, eTag) { return HTTPServerResponse(status: .notModified, headerFields: fields) }", "",
        "conditionalRequestsGet304", backends=("posix",), why="a matching If-None-Match gets the file again, not 304"),
    Mutant(
        "compression-no-vary", "Sources/SchedulerHTTP/Middleware/CompressionMiddleware.swift",
        "response.headerFields.addVary(\"Accept-Encoding\")", "",
        "refusedCodingLeavesTheBodyButStillVaries|compressesALargeBody", backends=("posix",),
        why="a compressible answer does not say it varies by Accept-Encoding (caches mix codings)"),
    Mutant(
        "http-connection-cap-ignored", "Sources/SchedulerHTTP/Server/HTTPServerConfiguration.swift",
        "set { engine.maxConnectionsPerThread = newValue }", "set { _ = newValue }",
        "ConnectionCapTests", backends=("posix",), why="the server's cap on concurrent connections is not applied"),
    Mutant(
        "engine-slot-never-freed", "CSources/CSchedulerEngine/engine_conn.c",
        "    loop->open_count--;\n    loop->free_list[loop->free_count++] = index;\n", "    loop->open_count--;\n",
        "ConnectionCapTests", why="a closed connection's place in the loop's table is never given back"),
    Mutant(
        "router-params-not-decoded", "Sources/SchedulerHTTP/Router/RouteLookup.swift",
        "                context.values.append(value)",
        "                context.values.append(String(decoding: raw, as: UTF8.self)); _ = value",
        "RouterTests", backends=("posix",), why="path parameters are handed over still percent-encoded"),
    Mutant(
        "timeout-answers-200", "Sources/SchedulerHTTP/Middleware/RequestTimeoutMiddleware.swift",
        "HTTPServerResponse.status(.serviceUnavailable,", "HTTPServerResponse.status(.ok,",
        "slowHandlerGets503AndIsCancelled", backends=("posix",), why="a request over its time limit is not answered 503"),
    Mutant(
        "cors-preflight-without-methods", "Sources/SchedulerHTTP/Middleware/CORSMiddleware.swift",
        "response.headerFields[.accessControlAllowMethods] =", "_ =",
        "answersAnAllowedPreflightWithoutCallingTheHandler", backends=("posix",),
        why="a preflight answer lacks Access-Control-Allow-Methods"),
    Mutant(
        "static-if-modified-since-ignored", "Sources/SchedulerHTTP/Middleware/StaticFileResponse.swift",
        "modified <= since {", "modified <= since && false {",
        "conditionalRequestsGet304", backends=("posix",), why="an unchanged file is sent again for If-Modified-Since"),
    Mutant(
        "metrics-status-not-classed", "Sources/SchedulerHTTP/Middleware/MetricsMiddleware.swift",
        "(\"status\", \"\\(status / 100)xx\")", "(\"status\", \"\\(status)\")",
        "countsRequestsByStatusClassAndTimesThem", backends=("posix",), why="metrics are labelled by status, not class"),
    Mutant(
        "tenant-release-keeps-listener", "Sources/SchedulerHTTP/Server/HTTPServer.swift",
        "Task { await self.stopListening(on: bound) }", "_ = bound",
        "releasingABindingInItsPoolStopsItsListener", backends=("posix",),
        why="a tenant's address released in its pool is still listened on"),
    Mutant(
        "engine-send-no-backpressure", "Sources/SchedulerEngine/TCPConnection.swift",
        "        if mustWait { try await core.waitForRoom() }", "        _ = mustWait",
        "SlowReaderEchoTests", backends=("posix",), examples=True,
        why="a send never waits for room in the connection's queue (an echo to a slow reader holds the upload)"),
    Mutant(
        "http-no-minimum-body-rate", "Sources/SchedulerHTTP/Server/BodyPace.swift",
        "guard bytesPerSecond > 0 else { return stall }", "guard bytesPerSecond < 0 else { return stall }",
        "SlowlorisTests", backends=("posix",), why="a body trickled below the minimum rate is waited for"),
    Mutant(
        "http-header-timeout-per-byte", "Sources/SchedulerHTTP/Server/InboundReader.swift",
        "            case .needMore:\n                return nil",
        "            case .needMore:\n                headAnnounced = false\n                return nil",
        "SlowlorisTests", backends=("posix",), why="the header timeout starts again with every byte of a head"),
    # HTTP client.
    Mutant(
        "client-redirects-unbounded", "Sources/SchedulerHTTP/Client/HTTPClient.swift",
        "guard redirects < configuration.maxRedirects else {", "guard redirects < 1000 else {",
        "redirectsFollowTheRules", backends=("posix",), why="redirects are followed past maxRedirects"),
    Mutant(
        "client-gzip-bomb", "Sources/SchedulerHTTP/Client/GzipDecoder.swift",
        "if output.count + produced > limit { return Z_MEM_ERROR }", "",
        "decodedSizeIsBounded", backends=("posix",), why="a gzip body inflates past maxDecompressedBytes"),
    Mutant(
        "client-idle-never-expires", "Sources/SchedulerHTTP/Client/ConnectionPool.swift",
        "guard connection.idleSince.duration(to: now) >= timeout else { return false }", "return false",
        "idleConnectionsCloseAfterTheTimeout", backends=("posix",),
        why="pooled connections are kept past the idle timeout"),
    # 2026-12-07: the synchronous answer, the response head writer.
    Mutant(
        "http-sync-answer-skipped", "Sources/SchedulerHTTP/Server/ServerConnection+Answer.swift",
        "            guard let answer = try responder.respondSynchronously(to: request) else {",
        "            guard false, let answer = try responder.respondSynchronously(to: request) else {",
        "SynchronousResponderTests|TasklessServingTests", backends=("posix",),
        why="the server never asks a responder for a synchronous answer"),
    Mutant(
        "http-taskless-serving-off", "Sources/SchedulerHTTP/Server/ServerConnection.swift",
        "servesInline = configuration.parkIdleAfter != nil", "servesInline = false",
        "TasklessServingTests", backends=("posix",),
        why="a connection answered synchronously keeps its task between requests"),
    Mutant(
        "http-taskless-wait-not-parked", "Sources/SchedulerHTTP/Server/ServerConnection+Taskless.swift",
        "expected: 1, desired: 2, ordering: .acquiringAndReleasing).exchanged {\n            return true",
        "expected: 1, desired: 2, ordering: .acquiringAndReleasing).exchanged {\n            return false",
        "ParkingTests", backends=("posix",),
        why="an idle connection waiting with no task is never counted as parked"),
    Mutant(
        "http-head-reused-while-held", "Sources/SchedulerHTTP/Parser/LazyRequestHead.swift",
        "if isKnownUniquelyReferenced(&spare), let kept = spare,", "if let kept = spare,",
        "aKeptRequestKeepsItsHeadWhileLaterOnesArrive", backends=("posix",),
        why="a request head is written over while a handler still holds its request"),
    Mutant(
        "http-preset-bytes-differ", "Sources/SchedulerHTTP/Server/PresetFields.swift",
        'case .json: "Content-Type: application/json\\r\\n"', 'case .json: "Content-Type: application/json; charset=utf-8\\r\\n"',
        "ResponseHeadTests", backends=("posix",),
        why="a JSON response's ready-made head bytes say other than its fields"),
    Mutant(
        "http-preset-kept-after-change", "Sources/SchedulerHTTP/Server/HTTPServerResponse.swift",
        "            fields = newValue\n            preset = nil", "            fields = newValue",
        "ResponseHeadTests", backends=("posix",),
        why="fields a handler sets on a .text response are dropped for the preset's bytes"),
    Mutant(
        "http-connect-path-from-target", "Sources/SchedulerHTTP/Parser/LazyRequestHead.swift",
        "if target.first == UInt8(ascii: \"/\") && !header.pointee.isConnect {",
        "if target.first == UInt8(ascii: \"/\") {",
        "LazyRequestHeadTests", backends=("posix",),
        why="a CONNECT request whose target starts with a slash reads as having a path"),
    Mutant(
        "http-long-head-dropped", "Sources/SchedulerHTTP/Server/ResponseHead.swift",
        "        if written { return }", "        if written || true { return }",
        "ResponseHeadTests", backends=("posix",),
        why="a response head longer than the 1 KiB stack buffer is not written again where it fits"),
    Mutant(
        "router-sync-ignores-route-middleware", "Sources/SchedulerHTTP/Router/HTTPRouter.swift",
        "        guard found.isSynchronous else { return nil }", "",
        "SynchronousResponderTests", backends=("posix",),
        why="the router answers synchronously although the route's handler is async"),
]


def run(command, cwd, env=None, timeout=None):
    """(exit status or 'timeout', combined output)."""
    try:
        done = subprocess.run(
            command, cwd=cwd, env=env, timeout=timeout, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return done.returncode, done.stdout
    except subprocess.TimeoutExpired as expired:
        out = expired.stdout or b""
        return "timeout", out.decode(errors="replace") if isinstance(out, bytes) else out


def sync_copy():
    """Copies the checkout's files (tracked and untracked, not ignored) into SCRATCH, writing
    only files whose content differs, so the scratch build stays incremental."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
        stdout=subprocess.PIPE, check=True).stdout.split(b"\0")
    for raw in listed:
        if not raw:
            continue
        relative = raw.decode()
        source, target = os.path.join(ROOT, relative), os.path.join(SCRATCH, relative)
        if not os.path.isfile(source):
            continue
        with open(source, "rb") as f:
            content = f.read()
        if os.path.isfile(target):
            with open(target, "rb") as f:
                if f.read() == content:
                    continue
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(content)


def build(examples=False):
    status, out = run([SWIFT, "build", "--build-tests", "--scratch-path", ".build"], SCRATCH)
    if status == 0 and examples:
        # The Examples package builds this one as a path dependency, and SwiftPM's incremental
        # build there keeps stale objects (a new source file unseen, an old struct layout in the
        # examples' own modules: the program then crashes at start). Its build is started afresh.
        machine = "%s-unknown-linux-gnu" % os.uname().machine
        shutil.rmtree(os.path.join(SCRATCH, "Examples", ".build", machine, "debug"), ignore_errors=True)
        for manifest in ("Package.swift", os.path.join("Examples", "Package.swift")):
            os.utime(os.path.join(SCRATCH, manifest))
        status, out = run([SWIFT, "build", "--package-path", "Examples"], SCRATCH)
    return status, out


def test(filter_, backend):
    """'passed', 'failed', 'timeout' or 'no tests', and the output."""
    env = dict(os.environ, SCHEDULER_CORE_BACKEND=backend)
    status, out = run(
        [SWIFT, "test", "--skip-build", "--no-parallel", "--scratch-path", ".build", "--filter", filter_],
        SCRATCH, env=env, timeout=TIMEOUT)
    if status == "timeout":
        return "timeout", out
    ran = re.search(r"Test run with (\d+) tests?", out)
    if status == 0 and (ran is None or ran.group(1) == "0"):
        return "no tests", out
    return ("passed" if status == 0 else "failed"), out


def main():
    chosen = [m for m in MUTANTS if len(sys.argv) < 2 or any(a in m.name for a in sys.argv[1:])]
    os.makedirs(SCRATCH, exist_ok=True)
    sync_copy()
    examples = any(m.examples for m in chosen)
    status, out = build(examples)
    if status != 0:
        print(out[-4000:])
        sys.exit("mutants: the unchanged copy does not build")
    baseline = sorted({(m.tests, b) for m in chosen for b in m.backends})
    for filter_, backend in baseline:
        outcome, out = test(filter_, backend)
        print(f"baseline {filter_} ({backend}): {outcome}", flush=True)
        if outcome != "passed":
            print(out[-4000:])
            sys.exit(f"mutants: '{filter_}' does not pass on the unchanged copy ({backend})")
    rows = []
    for mutant in chosen:
        path = os.path.join(SCRATCH, mutant.path)
        with open(path) as f:
            original = f.read()
        started = time.monotonic()
        if mutant.old not in original:
            rows.append((mutant, "broken (text not found)", "", 0))
            continue
        with open(path, "w") as f:
            f.write(original.replace(mutant.old, mutant.new))
        try:
            status, out = build(mutant.examples)
            if status != 0:
                rows.append((mutant, "broken (does not build)", "", time.monotonic() - started))
                continue
            results = {}
            for backend in mutant.backends:
                results[backend], _ = test(mutant.tests, backend)
            if any(r == "failed" for r in results.values()):
                verdict = "caught"
            elif any(r == "timeout" for r in results.values()):
                verdict = "hung"
            else:
                verdict = "survived"
            detail = ", ".join(f"{b}: {r}" for b, r in results.items())
            rows.append((mutant, verdict, detail, time.monotonic() - started))
        finally:
            with open(path, "w") as f:
                f.write(original)
        print(f"{mutant.name}: {rows[-1][1]} ({rows[-1][2]})", flush=True)
    build(examples)  # leave the scratch build matching the unchanged copy
    print()
    print("| mutant | change | tests run | result | per backend | seconds |")
    print("| --- | --- | --- | --- | --- | --- |")
    for mutant, verdict, detail, seconds in rows:
        print(f"| {mutant.name} | {mutant.why} | `{mutant.tests}` | {verdict} | {detail} | {seconds:.0f} |")
    caught = sum(1 for r in rows if r[1] == "caught")
    print(f"\n{caught} of {len(rows)} mutants caught")
    sys.exit(0 if caught == len(rows) else 1)


if __name__ == "__main__":
    main()
