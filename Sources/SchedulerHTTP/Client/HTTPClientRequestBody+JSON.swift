import Foundation

extension HTTPClientRequestBody {
    /// `value` encoded as JSON (with `JSONEncoder`); pair it with `Content-Type: application/json`.
    public static func json(_ value: some Encodable, encoder: JSONEncoder = JSONEncoder()) throws -> HTTPClientRequestBody {
        .bytes(Array(try encoder.encode(value)))
    }
}

extension HTTPClientResponse {
    /// The body (up to `limit` bytes) decoded as JSON into `type`.
    public func json<T: Decodable>(_ type: T.Type, upTo limit: Int = 16 << 20, decoder: JSONDecoder = JSONDecoder())
        async throws -> T
    {
        try decoder.decode(type, from: Data(try await body.collect(upTo: limit)))
    }
}
