/// A request body limit for a route or group (below the server's own `maxBodySize`): a body
/// over `maxBytes` gets 413 and the handler is not called.
///
/// A declared `Content-Length` over the limit is refused before any of the body is read, and a
/// body within it goes on to the handler as a stream. A body without a declared length
/// (chunked) is read here, up to the limit, before the handler runs.
public struct RequestBodyLimitMiddleware: HTTPMiddleware {
    /// The most body bytes a request may have.
    public let maxBytes: Int

    /// Limits bodies to `maxBytes`.
    public init(maxBytes: Int) {
        self.maxBytes = max(0, maxBytes)
    }

    /// Answers 413 for a body over the limit, else calls `next`.
    public func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPNext) async throws
        -> HTTPServerResponse
    {
        if let declared = request.headerValue(.contentLength) {
            guard let length = Int(declared), length <= maxBytes else { return tooLarge() }
            return try await next(request, context)
        }
        guard request.headerValue(.transferEncoding) != nil else { return try await next(request, context) }
        let bytes: [UInt8]
        do {
            bytes = try await request.body.collect(upTo: maxBytes)
        } catch HTTPServerError.bodyTooLarge {
            return tooLarge()
        }
        let read = HTTPServerRequest(
            head: request.head, body: HTTPRequestBody(bytes: bytes), localAddress: request.localAddress,
            remoteAddress: request.remoteAddress)
        return try await next(read, context)
    }

    private func tooLarge() -> HTTPServerResponse {
        var response = HTTPServerResponse.status(.contentTooLarge, "request body over the limit of \(maxBytes) bytes")
        // The rest of the body is not read: the connection closes after this answer.
        response.headerFields[.connection] = "close"
        return response
    }
}
