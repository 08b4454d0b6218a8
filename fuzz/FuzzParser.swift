// libFuzzer entry for the HTTP/1.1 parser (built by fuzz/run.sh with `swiftc -sanitize=fuzzer`
// together with Sources/SchedulerHTTP/Parser). The first input byte picks the parser and the
// split points; the rest is the message stream. Checks: no crash (the sanitizer and Swift's
// runtime checks catch any), the same events and error whether the stream is fed whole,
// in two pieces, or byte by byte, and request heads read lazily (as the server does) equal
// to heads built at once.
import HTTPTypes

/// One event as the fuzzer compares them: bodies copied and merged, heads described.
enum FuzzEvent: Equatable {
    case head(String)
    case body([UInt8])
    case end([String]?)
    case error(HTTPParseError)
}

func fields(_ f: HTTPFields) -> String { f.map { "\($0.name.rawName):\($0.value)" }.joined(separator: "|") }

func record(_ e: FuzzEvent, _ events: inout [FuzzEvent]) {
    if case .body(let b) = e {
        if b.isEmpty { return }
        if case .body(let a)? = events.last {
            events[events.count - 1] = .body(a + b)
            return
        }
    }
    events.append(e)
}

/// A request head described as `run` describes it.
func describe(_ h: HTTPRequest) -> String {
    "\(h.method.rawValue) \(h.scheme ?? "") \(h.authority ?? "") \(h.path ?? "") \(fields(h.headerFields))"
}

/// A lazy head described through its byte readers, checked against the head it builds.
func describe(_ lazy: LazyRequestHead) -> String {
    let built = lazy.request
    precondition(lazy.method == built.method, "lazy method differs")
    precondition(lazy.path == built.path, "lazy path \(String(describing: lazy.path)) differs from \(String(describing: built.path))")
    precondition(lazy.authority == built.authority, "lazy authority differs")
    for field in built.headerFields {
        let all = built.headerFields[values: field.name]
        precondition(lazy.values(field.name, first: false) == all, "lazy values of \(field.name) differ")
        precondition(lazy.values(field.name, first: true) == [all[0]], "lazy first value of \(field.name) differs")
    }
    return describe(built)
}

/// Feeds `bytes` in pieces ending at `cuts`, keeping unconsumed bytes at the front like a connection.
/// `lazy` parses request heads with `nextLazy`, as the server does.
func run(_ bytes: [UInt8], cuts: [Int], response: Bool, lazy: Bool = false) -> [FuzzEvent] {
    let limits = HTTPParserLimits(maxHeadBytes: 2048, maxFieldCount: 20, maxTargetLength: 256, maxChunkSizeDigits: 8, maxChunkLineLength: 128)
    var requests = HTTPRequestParser(limits: limits)
    var responses = HTTPResponseParser(limits: limits)
    var events: [FuzzEvent] = []
    var buffer: [UInt8] = []
    var fed = 0
    for cut in cuts + [bytes.count] where cut >= fed {
        buffer += bytes[fed..<cut]
        fed = cut
        var steps = 0
        while true {
            steps += 1
            precondition(steps < 1_000_000, "parser made no progress")
            let outcome = buffer.withUnsafeBytes { raw -> Result<(FuzzEvent?, Int), HTTPParseError> in
                Result { () throws(HTTPParseError) -> (FuzzEvent?, Int) in
                    if response {
                        let s = try responses.next(raw)
                        switch s.event {
                        case .head(let h): return (.head("\(h.status.code) \(h.status.reasonPhrase) \(fields(h.headerFields))"), s.consumed)
                        case .body(let b): return (.body(Array(b)), s.consumed)
                        case .end(let t): return (.end(t.map { [fields($0)] }), s.consumed)
                        case .needMore: return (nil, s.consumed)
                        }
                    } else if lazy {
                        let s = try requests.nextLazy(raw)
                        switch s.event {
                        case .head(let h): return (.head(describe(h)), s.consumed)
                        case .body(let b): return (.body(Array(b)), s.consumed)
                        case .end(let t): return (.end(t.map { [fields($0)] }), s.consumed)
                        case .needMore: return (nil, s.consumed)
                        }
                    } else {
                        let s = try requests.next(raw)
                        switch s.event {
                        case .head(let h): return (.head(describe(h)), s.consumed)
                        case .body(let b): return (.body(Array(b)), s.consumed)
                        case .end(let t): return (.end(t.map { [fields($0)] }), s.consumed)
                        case .needMore: return (nil, s.consumed)
                        }
                    }
                }
            }
            switch outcome {
            case .failure(let error):
                events.append(.error(error))
                return events
            case .success(let (event, consumed)):
                precondition(consumed >= 0 && consumed <= buffer.count, "consumed out of range")
                buffer.removeFirst(consumed)
                guard let event else { break }
                record(event, &events)
                continue
            }
            break
        }
    }
    return events
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let selector = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let response = selector & 1 == 1
    let whole = run(bytes, cuts: [], response: response)
    let cut = bytes.isEmpty ? 0 : Int(selector >> 1) * 7919 % (bytes.count + 1)
    let two = run(bytes, cuts: [cut], response: response)
    if two != whole { fatalError("split at \(cut) differs:\n whole \(whole)\n split \(two)") }
    if !response {
        let lazy = run(bytes, cuts: [cut], response: false, lazy: true)
        if lazy != whole { fatalError("lazy heads differ:\n eager \(whole)\n lazy \(lazy)") }
    }
    if bytes.count <= 600 {
        let single = run(bytes, cuts: Array(0..<bytes.count), response: response)
        if single != whole { fatalError("byte-by-byte differs:\n whole \(whole)\n bytes \(single)") }
    }
    return 0
}
