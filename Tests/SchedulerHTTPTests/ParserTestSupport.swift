import HTTPTypes
import SchedulerHTTP

/// A parser event in a form tests can compare: body slices copied, adjacent bodies merged.
enum Seen: Equatable, CustomStringConvertible {
    case head(String)
    case body([UInt8])
    case end(trailers: [String]?)
    case error(HTTPParseError)

    var description: String {
        switch self {
        case .head(let h): "head(\(h))"
        case .body(let b): "body(\(String(decoding: b, as: UTF8.self).debugDescription))"
        case .end(let t): "end(\(t.map { "\($0)" } ?? "nil"))"
        case .error(let e): "error(\(e.kind) at \(e.offset))"
        }
    }
}

func describe(_ r: HTTPRequest) -> String {
    let fields = r.headerFields.map { "\($0.name.rawName): \($0.value)" }.joined(separator: "|")
    return "\(r.method.rawValue) \(r.scheme ?? "-") \(r.authority ?? "-") \(r.path ?? "-") [\(fields)]"
}

func describe(_ r: HTTPResponse) -> String {
    let fields = r.headerFields.map { "\($0.name.rawName): \($0.value)" }.joined(separator: "|")
    return "\(r.status.code) \(r.status.reasonPhrase) [\(fields)]"
}

func describe(_ t: HTTPFields?) -> [String]? {
    t.map { $0.map { "\($0.name.rawName): \($0.value)" } }
}

/// Appends an event, merging it into the last one when both are bodies.
func append(_ e: Seen, to seen: inout [Seen]) {
    if case .body(let b) = e, case .body(let a)? = seen.last {
        seen[seen.count - 1] = .body(a + b)
    } else if case .body(let b) = e, b.isEmpty {
        return
    } else {
        seen.append(e)
    }
}

/// Feeds `bytes` to a request parser in pieces ending at `cuts` (then the rest), as a
/// connection would: unconsumed bytes stay at the buffer's front. Stops at the first error.
func parseRequests(_ bytes: [UInt8], cuts: [Int] = [], limits: HTTPParserLimits = .default) -> [Seen] {
    var parser = HTTPRequestParser(limits: limits)
    var seen: [Seen] = []
    var buffer: [UInt8] = []
    var fed = 0
    for cut in cuts + [bytes.count] where cut >= fed {
        buffer += bytes[fed..<cut]
        fed = cut
        while true {
            do {
                let (event, consumed) = try buffer.withUnsafeBytes { raw in
                    Result { () throws(HTTPParseError) -> (Seen?, Int) in
                        let step = try parser.next(raw)
                        switch step.event {
                        case .head(let h): return (.head(describe(h)), step.consumed)
                        case .body(let b): return (.body(Array(b)), step.consumed)
                        case .end(let t): return (.end(trailers: describe(t)), step.consumed)
                        case .needMore: return (nil, step.consumed)
                        }
                    }
                }.get()
                buffer.removeFirst(consumed)
                guard let event else { break }
                append(event, to: &seen)
                if seen.count > 100_000 { return seen }  // a parser that loops must fail, not hang
            } catch {
                seen.append(.error(error))
                return seen
            }
        }
    }
    return seen
}

/// The response counterpart of `parseRequests`; `finish` reports the connection's close at the end.
func parseResponses(
    _ bytes: [UInt8], cuts: [Int] = [], methods: [HTTPRequest.Method] = [], finish: Bool = true,
    limits: HTTPParserLimits = .default
) -> [Seen] {
    var parser = HTTPResponseParser(limits: limits)
    var methodQueue = methods[...]
    if let m = methodQueue.popFirst() { parser.requestMethod = m }
    var seen: [Seen] = []
    var buffer: [UInt8] = []
    var fed = 0
    for cut in cuts + [bytes.count] where cut >= fed {
        buffer += bytes[fed..<cut]
        fed = cut
        while true {
            do {
                let (event, consumed) = try buffer.withUnsafeBytes { raw in
                    Result { () throws(HTTPParseError) -> (Seen?, Int) in
                        let step = try parser.next(raw)
                        switch step.event {
                        case .head(let h): return (.head(describe(h)), step.consumed)
                        case .body(let b): return (.body(Array(b)), step.consumed)
                        case .end(let t): return (.end(trailers: describe(t)), step.consumed)
                        case .needMore: return (nil, step.consumed)
                        }
                    }
                }.get()
                buffer.removeFirst(consumed)
                guard let event else { break }
                if seen.count > 100_000 { return seen }  // a parser that loops must fail, not hang
                if case .end = event, let m = methodQueue.popFirst() { parser.requestMethod = m }
                append(event, to: &seen)
            } catch {
                seen.append(.error(error))
                return seen
            }
        }
    }
    if finish {
        do {
            if try parser.finish() { seen.append(.end(trailers: nil)) }
        } catch {
            seen.append(.error(error))
        }
    }
    return seen
}

extension String {
    /// The UTF-8 bytes of the string.
    var bytes: [UInt8] { Array(utf8) }
}
