// `make bench-parser`: request-head parsing throughput (bytes/s) of scheduler-core's
// HTTPRequestParser against llhttp (the copy inside swift-nio, CNIOLLHTTP, as NIOHTTP1 uses it),
// on the same three inputs, each parsed as a stream of keep-alive requests one after another.
// - ours: `HTTPRequestParser.nextView` until `.end`: the head checked (strict RFC 9112, framing
//   fields read) and handed over as byte spans, the same output as llhttp's callbacks.
// - ours+types: `HTTPRequestParser.next` until `.end`, which also builds the swift-http-types
//   `HTTPRequest` (method, path, authority, HTTPFields) for each head: what a server gets.
// - llhttp: `llhttp_execute` over the same bytes with callbacks for the URL, each header field
//   and value and the message end that only count (llhttp leaves building a head to its user).
// Usage: ParserBench [SECONDS_PER_CASE [PARSER [CASE]]]  (one `key=value` line per case and parser;
// PARSER picks one of them, for a profile)
import CNIOLLHTTP
import Glibc
import SchedulerCore

let seconds = CommandLine.arguments.count > 1 ? Double(CommandLine.arguments[1]) ?? 2 : 2

/// The wrk request of TechEmpower's plaintext test.
let techEmpower =
    "GET /plaintext HTTP/1.1\r\nHost: localhost\r\n"
    + "Accept: text/plain,text/html;q=0.9,application/xhtml+xml;q=0.9,application/xml;q=0.8,*/*;q=0.7\r\n"
    + "Connection: keep-alive\r\n\r\n"

/// A browser navigation (Chrome-like) of about 700 bytes.
let browser =
    "GET /articles/2024/09/http-parsing-in-swift?ref=home&utm_source=feed HTTP/1.1\r\n"
    + "Host: www.example.com\r\n"
    + "Connection: keep-alive\r\n"
    + "sec-ch-ua-mobile: ?0\r\n"
    + "sec-ch-ua-platform: \"Linux\"\r\n"
    + "Upgrade-Insecure-Requests: 1\r\n"
    + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36\r\n"
    + "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8\r\n"
    + "Sec-Fetch-Site: same-origin\r\n"
    + "Sec-Fetch-Mode: navigate\r\n"
    + "Sec-Fetch-Dest: document\r\n"
    + "Referer: https://www.example.com/\r\n"
    + "Accept-Encoding: gzip, deflate, br, zstd\r\n"
    + "Accept-Language: en-GB,en;q=0.9,fr;q=0.8\r\n"
    + "Cookie: session=4f8a9c2e1b7d3a6f; theme=dark; _ga=GA1.2.1234567890.1700000000\r\n\r\n"

/// 40 header fields (Host and 39 others) of typical lengths.
let fortyHeaders: String = {
    var s = "GET /api/v1/items?page=2 HTTP/1.1\r\nHost: api.example.com\r\n"
    for i in 1...39 { s += "X-Custom-Header-\(i): value-\(i)-abcdefghijklmnop\r\n" }
    return s + "\r\n"
}()

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Parses `bytes` as one keep-alive request after another for `seconds`, heads as byte spans;
/// returns bytes/s.
func benchOursView(_ bytes: [UInt8], seconds: Double) -> (Double, Int) {
    var parser = HTTPRequestParser()
    var messages = 0
    var checksum = 0
    let start = now()
    var elapsed = 0.0
    bytes.withUnsafeBytes { buffer in
        while elapsed < seconds {
            for _ in 0..<1000 {
                var rest = buffer
                loop: while true {
                    let step = try! parser.nextView(rest)
                    switch step.event {
                    case .head(let head):
                        // What llhttp's callbacks count: the target's and every name's and value's bytes.
                        checksum &+= head.target.count
                        for k in 0..<head.fieldCount { checksum &+= head.fieldName(k).count &+ head.fieldValue(k).count }
                    case .end: break loop
                    default: break
                    }
                    rest = UnsafeRawBufferPointer(rebasing: rest[step.consumed...])
                }
                messages += 1
            }
            elapsed = now() - start
        }
    }
    precondition(checksum > 0)
    return (Double(messages * bytes.count) / elapsed, messages)
}

/// As `benchOursView`, with each head built as a swift-http-types `HTTPRequest`.
func benchOurs(_ bytes: [UInt8], seconds: Double) -> (Double, Int) {
    var parser = HTTPRequestParser()
    var messages = 0
    var checksum = 0
    let start = now()
    var elapsed = 0.0
    bytes.withUnsafeBytes { buffer in
        while elapsed < seconds {
            for _ in 0..<1000 {
                var rest = buffer
                loop: while true {
                    let step = try! parser.next(rest)
                    switch step.event {
                    case .head(let request): checksum &+= request.headerFields.count
                    case .end: break loop
                    default: break
                    }
                    rest = UnsafeRawBufferPointer(rebasing: rest[step.consumed...])
                }
                messages += 1
            }
            elapsed = now() - start
        }
    }
    precondition(checksum > 0)
    return (Double(messages * bytes.count) / elapsed, messages)
}

nonisolated(unsafe) var llhttpCount = 0
nonisolated(unsafe) var llhttpMessages = 0

func benchLLHTTP(_ bytes: [UInt8], seconds: Double) -> (Double, Int) {
    var settings = llhttp_settings_t()
    c_nio_llhttp_settings_init(&settings)
    settings.on_url = { _, _, n in
        llhttpCount &+= n
        return 0
    }
    settings.on_header_field = { _, _, n in
        llhttpCount &+= n
        return 0
    }
    settings.on_header_value = { _, _, n in
        llhttpCount &+= n
        return 0
    }
    settings.on_message_complete = { _ in
        llhttpMessages += 1
        return 0
    }
    var parser = llhttp_t()
    c_nio_llhttp_init(&parser, HTTP_REQUEST, &settings)
    llhttpMessages = 0
    let start = now()
    var elapsed = 0.0
    bytes.withUnsafeBytes { buffer in
        let base = buffer.baseAddress!.assumingMemoryBound(to: CChar.self)
        while elapsed < seconds {
            for _ in 0..<1000 {
                let rc = c_nio_llhttp_execute(&parser, base, buffer.count)
                precondition(rc == HPE_OK, "llhttp error \(rc)")
            }
            elapsed = now() - start
        }
    }
    precondition(llhttpCount > 0)
    return (Double(llhttpMessages * bytes.count) / elapsed, llhttpMessages)
}

// `ParserBench SECONDS [PARSER [CASE]]` runs one parser, or one parser on one case (for a profiler).
// Each case's time is cut into `slices` turns, the parsers taking turns (ours, llhttp, ours+types,
// ours, ...), and each parser's rate is the median of its turns: a burst of load from elsewhere on
// the machine lands on a turn or two of each parser rather than on one parser's whole run.
let slices = 8
let onlyCase = CommandLine.arguments.count > 3 ? CommandLine.arguments[3] : nil
let only = CommandLine.arguments.count > 2 ? CommandLine.arguments[2] : nil
for (name, text) in [("techempower", techEmpower), ("browser", browser), ("40-headers", fortyHeaders)]
where onlyCase == nil || onlyCase == name {
    let bytes = Array(text.utf8)
    let parsers: [String] = ["ours", "llhttp", "ours+types"].filter { only == nil || only == $0 }
    var rates: [String: [Double]] = [:]
    var messages: [String: Int] = [:]
    for _ in 0..<slices {
        for parserName in parsers {
            let turn = seconds / Double(slices)
            let (rate, count) =
                parserName == "ours"
                ? benchOursView(bytes, seconds: turn)
                : parserName == "llhttp" ? benchLLHTTP(bytes, seconds: turn) : benchOurs(bytes, seconds: turn)
            rates[parserName, default: []].append(rate)
            messages[parserName, default: 0] += count
        }
    }
    for parserName in parsers {
        let sorted = rates[parserName]!.sorted()
        let rate = (sorted[(sorted.count - 1) / 2] + sorted[sorted.count / 2]) / 2
        print(
            "case=\(name) parser=\(parserName) bytes=\(bytes.count) messages=\(messages[parserName]!) bytes_per_s=\(Int(rate)) ns_per_request=\(Double(Int(10e9 * Double(bytes.count) / rate)) / 10)"
        )
        fflush(stdout)
    }
}
