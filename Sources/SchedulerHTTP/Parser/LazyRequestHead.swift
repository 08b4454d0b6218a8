import CSchedulerHTTPScan
import HTTPTypes

/// A request head as it arrived: its bytes and field spans (copied out of the receive buffer in
/// one allocation) and its method, with the swift-http-types `HTTPRequest` built only when
/// someone asks for it.
///
/// The router, the request id, logging and compression read the method, the path and a field or
/// two straight from the bytes; a request whose handler never reads `head` never pays for a
/// `String` and a validation per field. The head is checked in full before this is made (as
/// `HTTPRequestParser.next(_:)` checks it), so building it later cannot fail.
///
/// Safe to share between threads: everything but the built value is written before the head is shared; the built
/// value is stored once, by the first thread to build it, and read only after its flag says so.
final class LazyRequestHead: ManagedBuffer<LazyRequestHead.Header, FieldSpan> {
    struct Header {
        /// 0 unbuilt, 1 being stored, 2 stored (see `csched_http_once_state`).
        var once: UInt32 = 0
        let method: HTTPRequest.Method
        let start: StartLine
        let hostField: Int
        let fieldCount: Int
        let byteCount: Int
        var built: HTTPRequest? = nil
        /// Elements the allocation holds (`ManagedBuffer.capacity` asks malloc each time).
        var room = 0

        /// Whether the method is CONNECT (its name's length compared first: no string compare
        /// for the other methods).
        var isConnect: Bool { method.rawValue.utf8.count == 7 && method == .connect }
    }

    /// The largest head (in spans' strides, 1.5 KiB) kept by a parser for the next request.
    static let reusedCapacity = 96

    /// The head at the start of `bytes`, `length` bytes long, as the parser found it: written into
    /// `spare` when nothing else holds that one any more and it is large enough (no allocation
    /// per request on a keep-alive connection), else into a new head, kept in `spare` if small.
    static func make(
        _ bytes: UnsafeRawBufferPointer, length: Int, start: StartLine, spans: FieldSpans, hostField: Int,
        method: HTTPRequest.Method, reusing spare: inout LazyRequestHead?
    ) -> LazyRequestHead {
        let stride = MemoryLayout<FieldSpan>.stride
        let capacity = spans.count + (length + stride - 1) / stride
        var header = Header(
            method: method, start: start, hostField: hostField, fieldCount: spans.count, byteCount: length)
        let head: LazyRequestHead
        if isKnownUniquelyReferenced(&spare), let kept = spare, kept.room >= capacity {
            // Only the parser holds it: no thread can read it while it is written.
            kept.withUnsafeMutablePointerToHeader {
                header.room = $0.pointee.room
                $0.pointee = header
            }
            head = kept
        } else {
            head = unsafeDowncast(
                create(minimumCapacity: capacity) { made in
                    header.room = made.capacity
                    return header
                }, to: LazyRequestHead.self)
            spare = head.room <= reusedCapacity ? head : nil
        }
        head.withUnsafeMutablePointerToElements { elements in
            for index in 0..<spans.count { (elements + index).initialize(to: spans[index]) }
            if length > 0 {
                UnsafeMutableRawPointer(elements + spans.count).copyMemory(from: bytes.baseAddress!, byteCount: length)
            }
        }
        return head
    }

    /// Elements the allocation holds.
    var room: Int { withUnsafeMutablePointerToHeader { $0.pointee.room } }

    /// The method (read without building anything).
    var method: HTTPRequest.Method { withUnsafeMutablePointerToHeader { $0.pointee.method } }

    /// The swift-http-types request, built on the first call.
    var request: HTTPRequest {
        withUnsafeMutablePointers { header, elements in
            let flag = Self.flag(header)
            if csched_http_once_state(flag) == 2 { return header.pointee.built.unsafelyUnwrapped }
            let value = Self.build(header, elements)
            if csched_http_once_claim(flag) != 0 {
                header.pointee.built = value
                csched_http_once_publish(flag)
            }
            return value
        }
    }

    /// `request.path`, read from the target without building the request.
    var path: String? {
        withUnsafeMutablePointers { header, elements in
            let start = header.pointee.start
            let target = UnsafeRawBufferPointer(
                start: UnsafeRawPointer(elements + header.pointee.fieldCount) + start.targetStart,
                count: start.targetEnd - start.targetStart)
            // The origin form (a path, the usual target) is the path as it is, but for CONNECT.
            if target.first == UInt8(ascii: "/") && !header.pointee.isConnect {
                return String(decoding: target, as: UTF8.self)
            }
            return HTTPRequestParser.targetParts(target, method: header.pointee.method)?.path
        }
    }

    /// `request.authority`: the absolute- or authority-form target's, else Host's value.
    var authority: String? {
        withParts { bytes, start, spans, method, hostField in
            let target = UnsafeRawBufferPointer(rebasing: bytes[start.targetStart..<start.targetEnd])
            if let fromTarget = HTTPRequestParser.targetParts(target, method: method)?.authority { return fromTarget }
            guard hostField >= 0 else { return nil }
            let span = spans[hostField]
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[span.valueStart..<span.valueEnd]), as: UTF8.self)
        }
    }

    /// The values of the fields named `name` (Host excepted: it is the authority), in order,
    /// read from the bytes without building the request; `first` stops at the first.
    func values(_ name: HTTPField.Name, first: Bool) -> [String] {
        var canonical = name.canonicalName
        return canonical.withUTF8 { wanted in
            withParts { bytes, _, spans, _, hostField in
                var found: [String] = []
                for index in spans.indices where index != hostField {
                    let span = spans[index]
                    guard span.nameEnd - span.nameStart == wanted.count,
                        sameNameIgnoringCase(bytes.baseAddress! + span.nameStart, wanted)
                    else { continue }
                    found.append(
                        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[span.valueStart..<span.valueEnd]), as: UTF8.self))
                    if first { break }
                }
                return found
            }
        }
    }

    private func withParts<Result>(
        _ body: (UnsafeRawBufferPointer, StartLine, UnsafeBufferPointer<FieldSpan>, HTTPRequest.Method, Int) -> Result
    ) -> Result {
        withUnsafeMutablePointers { header, elements in
            let count = header.pointee.fieldCount
            return body(
                UnsafeRawBufferPointer(start: elements + count, count: header.pointee.byteCount), header.pointee.start,
                UnsafeBufferPointer(start: elements, count: count), header.pointee.method, header.pointee.hostField)
        }
    }

    private static func build(_ header: UnsafeMutablePointer<Header>, _ elements: UnsafeMutablePointer<FieldSpan>)
        -> HTTPRequest
    {
        let count = header.pointee.fieldCount
        let bytes = UnsafeRawBufferPointer(start: elements + count, count: header.pointee.byteCount)
        do {
            return try HTTPRequestParser.build(
                bytes, header.pointee.start, spans: UnsafeBufferPointer(start: elements, count: count),
                hostField: header.pointee.hostField, method: header.pointee.method, at: 0, names: FieldNameCache.current)
        } catch {
            // Unreachable: the parser checked every name and the target before making this head.
            preconditionFailure("a checked request head failed to build: \(error)")
        }
    }

    private static func flag(_ header: UnsafeMutablePointer<Header>) -> UnsafeMutablePointer<UInt32> {
        (UnsafeMutableRawPointer(header) + MemoryLayout<Header>.offset(of: \.once)!)
            .assumingMemoryBound(to: UInt32.self)
    }
}

/// Whether the name bytes at `name` equal `lowercase` (a canonical name) ignoring ASCII case.
@inline(__always)
private func sameNameIgnoringCase(_ name: UnsafeRawPointer, _ lowercase: UnsafeBufferPointer<UInt8>) -> Bool {
    for index in 0..<lowercase.count {
        var byte = name.load(fromByteOffset: index, as: UInt8.self)
        if byte &- UInt8(ascii: "A") < 26 { byte |= 0x20 }
        if byte != lowercase[index] { return false }
    }
    return true
}
