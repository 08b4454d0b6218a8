import Foundation
public import HTTPTypes

/// What a route handler may return: a response, a string, bytes, or an `Encodable` value as JSON.
public protocol HTTPResponseConvertible: Sendable {
    /// The response for this value.
    func response() throws -> HTTPServerResponse
}

extension HTTPServerResponse: HTTPResponseConvertible {
    /// The response itself.
    public func response() throws -> HTTPServerResponse { self }
}

extension String: HTTPResponseConvertible {
    /// 200, `text/plain; charset=utf-8`.
    public func response() throws -> HTTPServerResponse { .text(self) }
}

extension Array: HTTPResponseConvertible where Element == UInt8 {
    /// 200, `application/octet-stream`.
    public func response() throws -> HTTPServerResponse {
        HTTPServerResponse(status: .ok, preset: .octetStream, body: .bytes(self))
    }
}

/// An `Encodable` value answered as JSON (`application/json`).
public struct JSONResponse<Value: Encodable & Sendable>: HTTPResponseConvertible {
    /// The value to encode.
    public let value: Value
    /// The status (200 unless told).
    public let status: HTTPResponse.Status

    /// Answers `value` as JSON with `status`.
    public init(_ value: Value, status: HTTPResponse.Status = .ok) {
        self.value = value
        self.status = status
    }

    /// The encoded response (`JSONBytesEncoder`: keys sorted, slashes not escaped); throws the
    /// encoder's error.
    public func response() throws -> HTTPServerResponse {
        HTTPServerResponse(
            status: status, preset: .json, body: .bytes(try JSONBytesEncoder().encode(value)))
    }
}
