/// Passing a streamed body through a middleware: each write of the handler's producer goes
/// through `write` on its way to the connection's writer, `finish` runs after the producer
/// returns, and trailers the producer set are passed on.
extension HTTPResponseBody {
    static func transformedStream(
        length: Int?, _ produce: @escaping @Sendable (HTTPBodyWriter) async throws -> Void,
        write: @escaping @Sendable ([UInt8], HTTPBodyWriter) async throws -> Void,
        finish: @escaping @Sendable (HTTPBodyWriter) async throws -> Void
    ) -> HTTPResponseBody {
        .stream(length: length) { outer in
            let inner = HTTPBodyWriter(forwardingTo: { bytes in try await write(bytes, outer) })
            try await produce(inner)
            try await finish(outer)
            if let trailers = inner.trailers { outer.setTrailers(trailers) }
        }
    }
}
