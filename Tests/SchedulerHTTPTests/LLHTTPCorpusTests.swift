import Foundation
import SchedulerHTTP
import Testing

/// llhttp's own request test cases (raw bytes and llhttp's verdict), read at run time from the
/// shared folder (public data, not copied into this repository).
let llhttpCorpusPath = "/work/shared/http/llhttp-requests.json"

/// One llhttp case: its bytes and what llhttp made of them.
struct LLHTTPCase {
    let id: String
    let name: String
    let mode: String
    let raw: [UInt8]
    let outcome: String
    let messages: Int
}

func loadLLHTTPCases() -> [LLHTTPCase]? {
    guard let data = FileManager.default.contents(atPath: llhttpCorpusPath),
        let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
        let cases = json["cases"] as? [[String: Any]]
    else { return nil }
    return cases.compactMap { c in
        guard let id = c["id"] as? String, let raw = c["raw"] as? String, let expect = c["expect"] as? [String: Any],
            let outcome = expect["outcome"] as? String
        else { return nil }
        let meta = c["meta"] as? [String: Any]
        // The harvest stores each byte as one code point (Latin-1).
        return LLHTTPCase(
            id: id, name: c["name"] as? String ?? "", mode: meta?["type"] as? String ?? "request",
            raw: raw.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }, outcome: outcome,
            messages: expect["messages_complete"] as? Int ?? 0)
    }
}

/// Our verdict in llhttp's terms: `valid`, `error`, `incomplete` or `valid-then-incomplete`,
/// the number of complete messages, and the error if any.
func ourVerdict(_ raw: [UInt8], requireHost: Bool = true) -> (outcome: String, messages: Int, error: HTTPParseError?) {
    var parser = HTTPRequestParser(requireHost: requireHost)
    var offset = 0
    var messages = 0
    do {
        loop: while true {
            let (isEnd, more, consumed) = try raw.withUnsafeBytes { buffer in
                Result { () throws(HTTPParseError) -> (Bool, Bool, Int) in
                    let step = try parser.next(UnsafeRawBufferPointer(rebasing: buffer[offset...]))
                    switch step.event {
                    case .end: return (true, true, step.consumed)
                    case .needMore: return (false, false, step.consumed)
                    default: return (false, true, step.consumed)
                    }
                }
            }.get()
            offset += consumed
            if isEnd { messages += 1 }
            if !more { break loop }
        }
        do {
            try parser.finish()
        } catch {
            return (messages == 0 ? "incomplete" : "valid-then-incomplete", messages, nil)
        }
        return (messages == 0 ? "incomplete" : "valid", messages, nil)
    } catch {
        return ("error", messages, error)
    }
}

/// Where HTTP.md (or RFC 9112's stricter choice) and llhttp's verdict differ, by case, with why.
let llhttpDeliberateDifferences: [String: String] = [
    // bare LF ends a field line: accepted (HTTP.md), llhttp rejects it
    "llhttp-047": "bare LF ends a field line: accepted (HTTP.md), llhttp rejects it",
    "llhttp-051": "bare LF ends a field line: accepted (HTTP.md), llhttp rejects it",
    "llhttp-059": "bare LF ends a field line: accepted (HTTP.md), llhttp rejects it",
    "llhttp-068": "bare LF ends a field line: accepted (HTTP.md), llhttp rejects it",
    // llhttp run in a lenient mode (its test's own flag); this parser has none and stays strict
    "llhttp-010": "llhttp run in a lenient mode (its test's own flag); this parser has none and stays strict",
    "llhttp-028": "llhttp run in a lenient mode (its test's own flag); this parser has none and stays strict",
    "llhttp-038": "llhttp run in a lenient mode (its test's own flag); this parser has none and stays strict",
    "llhttp-063": "llhttp run in a lenient mode (its test's own flag); this parser has none and stays strict",
    "llhttp-065": "llhttp run in a lenient mode (its test's own flag); this parser has none and stays strict",
    "llhttp-066": "llhttp run in a lenient mode (its test's own flag); this parser has none and stays strict",
    "llhttp-071": "llhttp run in a lenient mode (its test's own flag); this parser has none and stays strict",
    "llhttp-072": "llhttp run in a lenient mode (its test's own flag); this parser has none and stays strict",
    "llhttp-074": "llhttp run in a lenient mode (its test's own flag); this parser has none and stays strict",
    "llhttp-075": "llhttp run in a lenient mode (its test's own flag); this parser has none and stays strict",
    "llhttp-116": "llhttp run in a lenient mode (its test's own flag); this parser has none and stays strict",
    "llhttp-119": "llhttp run in a lenient mode (its test's own flag); this parser has none and stays strict",
    "llhttp-123": "llhttp run in a lenient mode (its test's own flag); this parser has none and stays strict",
    "llhttp-137": "llhttp run in a lenient mode (its test's own flag); this parser has none and stays strict",
    "llhttp-141": "llhttp run in a lenient mode (its test's own flag); this parser has none and stays strict",
    "llhttp-142": "llhttp run in a lenient mode (its test's own flag); this parser has none and stays strict",
    "llhttp-150": "llhttp run in a lenient mode (its test's own flag); this parser has none and stays strict",
    "llhttp-152": "llhttp run in a lenient mode (its test's own flag); this parser has none and stays strict",
    "llhttp-154": "llhttp run in a lenient mode (its test's own flag); this parser has none and stays strict",
    // CONNECT: llhttp pauses after the head; here the message ends and the server decides
    "llhttp-078": "CONNECT: llhttp pauses after the head; here the message ends and the server decides",
    "llhttp-163": "CONNECT: llhttp pauses after the head; here the message ends and the server decides",
    // bytes after Connection: close: llhttp errors; here they parse, and the server stops reading
    "llhttp-008": "bytes after Connection: close: llhttp errors; here they parse, and the server stops reading",
    "llhttp-009": "bytes after Connection: close: llhttp errors; here they parse, and the server stops reading",
    // llhttp harness: a trailing partial request counted as valid (004), body skipped by its skipBody mode (036)
    "llhttp-004": "llhttp harness: a trailing partial request counted as valid (004), body skipped by its skipBody mode (036)",
    "llhttp-036": "llhttp harness: a trailing partial request counted as valid (004), body skipped by its skipBody mode (036)",
    // a method is any token (RFC 9110 §9.1): ANNOUNCE over HTTP/1.0 is accepted
    "llhttp-045": "a method is any token (RFC 9110 §9.1): ANNOUNCE over HTTP/1.0 is accepted",
    // only HTTP/1.x request lines: RTSP/1.0, ICE/1.0 and HTTP/0.9 (no version) are rejected
    "llhttp-087": "only HTTP/1.x request lines: RTSP/1.0, ICE/1.0 and HTTP/0.9 (no version) are rejected",
    "llhttp-088": "only HTTP/1.x request lines: RTSP/1.0, ICE/1.0 and HTTP/0.9 (no version) are rejected",
    "llhttp-089": "only HTTP/1.x request lines: RTSP/1.0, ICE/1.0 and HTTP/0.9 (no version) are rejected",
    "llhttp-115": "only HTTP/1.x request lines: RTSP/1.0, ICE/1.0 and HTTP/0.9 (no version) are rejected",
    // a transfer coding before chunked (deflate): 501, this parser does not decode it
    "llhttp-143": "a transfer coding before chunked (deflate): 501, this parser does not decode it",
    "llhttp-144": "a transfer coding before chunked (deflate): 501, this parser does not decode it",
]

@Suite("llhttp request corpus", .timeLimit(.minutes(2)))
struct LLHTTPCorpusTests {
    @Test func agreesWithLLHTTPExceptDocumentedDifferences() throws {
        guard let cases = loadLLHTTPCases() else {
            print("llhttp corpus: \(llhttpCorpusPath) not present, skipped")
            return
        }
        #expect(cases.count > 100)
        var agree = 0
        var categories: [String: Int] = [:]
        var hostOnly = 0
        for c in cases {
            func agrees(_ v: (outcome: String, messages: Int, error: HTTPParseError?)) -> Bool {
                v.outcome == c.outcome && (c.outcome != "valid" || v.messages == c.messages)
            }
            let strict = ourVerdict(c.raw)
            if agrees(strict) {
                agree += 1
                #expect(llhttpDeliberateDifferences[c.id] == nil, "\(c.id) is listed as a difference but agrees")
                continue
            }
            // llhttp does not require Host in HTTP/1.1 (HTTP.md does: 400). Where that is the only
            // difference, the strict verdict is that error and the verdict without the check agrees.
            let ours = ourVerdict(c.raw, requireHost: false)
            if agrees(ours) {
                #expect(strict.error?.kind == .missingHost, "\(c.id)")
                hostOnly += 1
                continue
            }
            let same = false
            if let why = llhttpDeliberateDifferences[c.id] {
                categories[why, default: 0] += 1
                #expect(!same, "\(c.id) is listed as a difference but now agrees: drop it from the list")
            } else {
                #expect(
                    same,
                    "\(c.id) [\(c.mode)] \(c.name): llhttp \(c.outcome)/\(c.messages), ours \(ours.outcome)/\(ours.messages) \(ours.error.map { "\($0)" } ?? "") \(String(decoding: c.raw.prefix(90), as: UTF8.self).debugDescription)"
                )
            }
        }
        categories["HTTP/1.1 without Host is rejected (HTTP.md)"] = hostOnly
        print("llhttp corpus: \(agree) of \(cases.count) cases agree")
        for (why, n) in categories.sorted(by: { $0.key < $1.key }) { print("llhttp corpus: \(n) differ: \(why)") }
    }
}

@Suite("llhttp corpus split equivalence", .timeLimit(.minutes(2)))
struct LLHTTPCorpusSplitTests {
    @Test func everyCaseParsesTheSameFedByteByByteAndSplitInTwo() throws {
        guard let cases = loadLLHTTPCases() else { return }
        for c in cases {
            let whole = parseRequests(c.raw)
            #expect(parseRequests(c.raw, cuts: Array(0..<c.raw.count)) == whole, "\(c.id)")
            for cut in stride(from: 1, to: c.raw.count, by: 3) {
                #expect(parseRequests(c.raw, cuts: [cut]) == whole, "\(c.id) split at \(cut)")
            }
        }
    }
}
