// bench/http: the HTTP/1.1 request parser on typical request heads, in ns per request, beside
// llhttp (C, Debian's node-llhttp sources, callbacks keeping header spans) and a naive
// String-splitting Swift parser, measured in the same run, interleaved, best of several rounds.
// Built and run by bench/http/run.sh (swiftc -O -wmo; not part of `swift build`).
import Glibc
import HTTPTypes

@_silgen_name("bench_llhttp")
func benchLLHTTP(_ data: UnsafePointer<CChar>, _ len: Int, _ n: Int) -> Int

func now() -> UInt64 {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
}

let typical300 =
    "GET /api/v1/users/12345/orders?status=open&limit=20 HTTP/1.1\r\n"
    + "Host: api.example.com\r\n"
    + "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\r\n"
    + "Accept: application/json\r\n"
    + "Accept-Language: en-US,en;q=0.5\r\n"
    + "Accept-Encoding: gzip, deflate, br\r\n"
    + "Cookie: session=4f2a9c1e77b0\r\n"
    + "Connection: keep-alive\r\n\r\n"

let techEmpower =
    "GET /plaintext HTTP/1.1\r\nHost: localhost\r\n"
    + "Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7\r\n"
    + "Connection: keep-alive\r\n\r\n"

let fortyHeaders =
    "GET /many HTTP/1.1\r\nHost: h.example\r\n"
    + (1..<40).map { "X-Header-\($0): value-\($0)-abcdefghij\r\n" }.joined() + "\r\n"

/// Our parser, head scan only: spans into the buffer, no swift-http-types values built.
func oursScan(_ bytes: [UInt8], _ n: Int) -> Int {
    var total = 0
    bytes.withUnsafeBytes { raw in
        var core = HTTPMessageCore(limits: .default, isRequest: true)
        for _ in 0..<n {
            core.resetForNextMessage()
            core.streamOffset = 0
            guard case (.head, _)? = try? core.step(raw) else { fatalError("scan failed") }
            total &+= core.fields.count
        }
    }
    return total
}

/// Our parser as a server uses it: `next` until `.end`, building the `HTTPRequest`.
func oursFull(_ bytes: [UInt8], _ n: Int) -> Int {
    var total = 0
    bytes.withUnsafeBytes { raw in
        var parser = HTTPRequestParser()
        for _ in 0..<n {
            guard let step = try? parser.next(raw), case .head(let request) = step.event else { fatalError("parse failed") }
            total &+= request.headerFields.count
            guard let end = try? parser.next(UnsafeRawBufferPointer(rebasing: raw[step.consumed...])),
                case .end = end.event
            else { fatalError("no end") }
        }
    }
    return total
}

/// What a first attempt often looks like: decode to String, split lines, split on ": ".
func naive(_ bytes: [UInt8], _ n: Int) -> Int {
    var total = 0
    for _ in 0..<n {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let headEnd = text.range(of: "\r\n\r\n") else { fatalError() }
        let lines = text[..<headEnd.lowerBound].split(separator: "\r\n", omittingEmptySubsequences: false)
        let parts = lines[0].split(separator: " ")
        guard parts.count == 3 else { fatalError() }
        var headers: [(String, String)] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { fatalError() }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...].drop { $0 == " " })))
        }
        total &+= headers.count + parts.count - 3
    }
    return total
}

extension String {
    /// Naive substring search (no Foundation).
    func range(of needle: String) -> Range<String.Index>? {
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(needle) { return i..<index(i, offsetBy: needle.count) }
            i = index(after: i)
        }
        return nil
    }
}

func measure(_ n: Int, _ body: (Int) -> Int) -> Double {
    let t0 = now()
    let r = body(n)
    let t1 = now()
    precondition(r > 0)
    return Double(t1 - t0) / Double(n)
}

@main
enum ParserBench {
    static func main() {
        let args = Array(CommandLine.arguments.dropFirst())
        if args.first == "profile", args.count == 3, let n = Int(args[2]) {
            // One parser alone on the typical head, for callgrind or perf: profile scan|full|llhttp N
            let bytes = Array(typical300.utf8)
            switch args[1] {
            case "scan": print(oursScan(bytes, n))
            case "full": print(oursFull(bytes, n))
            default: print(bytes.withUnsafeBufferPointer { p in p.withMemoryRebound(to: CChar.self) { benchLLHTTP($0.baseAddress!, $0.count, n) } })
            }
            return
        }
        let rounds = Int(args.first ?? "") ?? 7
        print("HTTP request head parsing, ns per request (best of \(rounds) interleaved rounds; lower is better)")
        print("input                    bytes  ours-scan  ours-full(HTTPRequest)   llhttp   naive-Swift  llhttp/ours-scan  llhttp/ours-full")
        for (name, text) in [("typical 300-byte head", typical300), ("TechEmpower plaintext", techEmpower), ("40 header fields", fortyHeaders)] {
            let bytes = Array(text.utf8)
            var best = [Double](repeating: .infinity, count: 4)
            let n = 200_000
            for _ in 0..<rounds {
                best[0] = min(best[0], measure(n) { oursScan(bytes, $0) })
                best[1] = min(best[1], measure(n) { oursFull(bytes, $0) })
                best[2] = min(best[2], measure(n) { n in bytes.withUnsafeBufferPointer { p in p.withMemoryRebound(to: CChar.self) { benchLLHTTP($0.baseAddress!, $0.count, n) } } })
                best[3] = min(best[3], measure(n / 200) { naive(bytes, $0) })
            }
            func f(_ x: Double) -> String { String(Int(x.rounded())) }
            func r(_ x: Double) -> String { String(Double(Int(x * 100)) / 100) }
            print(
                "\(name.padding(24)) \(String(bytes.count).padding(5))  \(f(best[0]).padding(9))  \(f(best[1]).padding(22))   \(f(best[2]).padding(7))  \(f(best[3]).padding(11))  \(r(best[2] / best[0]).padding(16))  \(r(best[2] / best[1]))"
            )
        }
    }
}

extension String {
    func padding(_ n: Int) -> String { count >= n ? self : self + String(repeating: " ", count: n - count) }
}
