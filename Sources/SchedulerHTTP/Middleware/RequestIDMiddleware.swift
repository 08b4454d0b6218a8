public import HTTPTypes

/// Gives every request an id in `X-Request-ID`: the client's own when it sent a sane one (1 to
/// 128 characters of letters, digits and `-_.:+/=`), else a new random one (32 hex digits).
///
/// The id is set on the request head before `next` runs, so later middleware and handlers read
/// it as ``HTTPServerRequest/requestID``, and it is put into the response.
public struct RequestIDMiddleware: HTTPMiddleware {
    /// `X-Request-ID`.
    public static let fieldName = HTTPField.Name("X-Request-ID")!
    private let generate: @Sendable () -> String

    /// Generates missing ids with `generate` (128 random bits in hex by default).
    public init(generate: @escaping @Sendable () -> String = RequestIDMiddleware.randomID) {
        self.generate = generate
    }

    /// Sets the id on the request and on the response.
    public func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPNext) async throws
        -> HTTPServerResponse
    {
        let sent = request.head.headerFields[Self.fieldName]
        let id = sent.flatMap { Self.isSane($0) ? $0 : nil } ?? generate()
        var request = request
        request.head.headerFields[Self.fieldName] = id
        var response = try await next(request, context)
        response.head.headerFields[Self.fieldName] = id
        return response
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

    /// 128 random bits as 32 lowercase hex digits.
    @Sendable public static func randomID() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return hex(high) + hex(low)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

extension HTTPServerRequest {
    /// The request's `X-Request-ID` (set by ``RequestIDMiddleware``), or nil.
    public var requestID: String? { head.headerFields[RequestIDMiddleware.fieldName] }
}
