public import HTTPTypes
import Synchronization

/// Gives every request an id in `X-Request-ID`: the client's own when it sent a sane one (1 to
/// 128 characters of letters, digits and `-_.:+/=`), else a new one (15 characters, see
/// ``randomID()``).
///
/// The id is given to the request before `next` runs, so later middleware and handlers read it
/// as ``HTTPServerRequest/requestID``, and it is put into the response. A generated id is not
/// written into the request's header fields (that would copy them on every request); a client's
/// id that is not sane is replaced there by the generated one.
public struct RequestIDMiddleware: HTTPSynchronousMiddleware {
    /// `X-Request-ID`.
    public static let fieldName = HTTPField.Name("X-Request-ID")!
    private let generate: @Sendable () -> String

    /// Generates missing ids with `generate` (``randomID()`` by default).
    public init(generate: @escaping @Sendable () -> String = RequestIDMiddleware.randomID) {
        self.generate = generate
    }

    /// Sets the id on the request and on the response.
    public func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPNext) async throws
        -> HTTPServerResponse
    {
        var request = request
        let id = identify(&request)
        var response = try await next(request, context)
        response.headerFields.setSingle(Self.fieldName, id)
        return response
    }

    /// Sets the id on the request and on the response, synchronously.
    public func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPSyncNext) throws
        -> HTTPServerResponse
    {
        var request = request
        let id = identify(&request)
        var response = try next(request, context)
        response.headerFields.setSingle(Self.fieldName, id)
        return response
    }

    /// The request's id (kept or generated), given to the request.
    private func identify(_ request: inout HTTPServerRequest) -> String {
        let sent = request.firstHeaderValue(Self.fieldName)
        if let sent, Self.isSane(sent) {
            request.assignedRequestID = sent
            return sent
        }
        let id = generate()
        request.assignedRequestID = id
        if sent != nil { request.head.headerFields.setSingle(Self.fieldName, id) }
        return id
    }

    /// Whether a client's id may be kept: 1 to 128 characters of `A-Za-z0-9-_.:+/=`.
    public static func isSane(_ id: String) -> Bool {
        let bytes = id.utf8
        guard (1...128).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                true
            case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "+"),
                UInt8(ascii: "/"), UInt8(ascii: "="):
                true
            default: false
            }
        }
    }

    /// 15 characters of `0-9A-Za-z-_` (90 bits), unique per process and unlikely to repeat
    /// across processes: 42 random bits drawn once per process (7 characters), then a
    /// per-request counter scrambled by an odd multiplier modulo 2^48 (8 characters; a
    /// bijection, so no two of a process's first 2^48 requests share an id). No system call
    /// per request, and no heap allocation: 15 UTF-8 bytes are a small `String`.
    @Sendable public static func randomID() -> String {
        let serial = UInt64(truncatingIfNeeded: counter.add(1, ordering: .relaxed).newValue)
        let scrambled = (serial &* 0x9E37_79B9_7F4A_7C15) & (1 << 48 - 1)
        return String(unsafeUninitializedCapacity: 15) { buffer in
            write(processPrefix, digits: 7, into: buffer, at: 0)
            write(scrambled, digits: 8, into: buffer, at: 7)
            return 15
        }
    }

    private static let processPrefix: UInt64 = {
        var generator = SystemRandomNumberGenerator()
        return generator.next() & (1 << 42 - 1)
    }()
    private static let counter = Atomic<Int>(0)

    /// Writes the low `6 * digits` bits of `value` as `digits` characters, most significant first.
    private static func write(
        _ value: UInt64, digits: Int, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int
    ) {
        let alphabet: StaticString = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"
        alphabet.withUTF8Buffer { table in
            for index in 0..<digits {
                buffer[start + index] = table[Int((value >> UInt64(6 * (digits - 1 - index))) & 63)]
            }
        }
    }
}

extension HTTPServerRequest {
    /// The request's id: the one ``RequestIDMiddleware`` gave it, else its `X-Request-ID`, or nil.
    public var requestID: String? {
        assignedRequestID ?? firstHeaderValue(RequestIDMiddleware.fieldName)
    }
}
