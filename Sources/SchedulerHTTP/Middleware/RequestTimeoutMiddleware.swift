/// A time limit for producing a response: a handler (with the middleware after this one) that
/// has not returned within `timeout` is cancelled and the client gets 503.
///
/// The handler runs in a child task racing a timer; the one that finishes first cancels the
/// other. Cancellation is cooperative: the 503 goes out once the handler's task has stopped,
/// which is at its next suspension point for any handler that awaits. The limit covers the
/// response head, not the writing of a streamed body. The 503 closes the connection, since
/// the request body may have been read part way.
public struct RequestTimeoutMiddleware: HTTPMiddleware {
    /// How long the handler may take.
    public let timeout: Duration

    /// Limits handlers to `timeout`.
    public init(timeout: Duration) {
        self.timeout = timeout
    }

    /// Races `next` against the timeout.
    public func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPNext) async throws
        -> HTTPServerResponse
    {
        let timeout = self.timeout
        // The group waits for both children before it returns, so `next` does not outlive this call.
        let answer: HTTPServerResponse? = try await withoutActuallyEscaping(next) { next in
            try await withThrowingTaskGroup(of: HTTPServerResponse?.self) { group in
                group.addTask { try await next(request, context) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                // The first to finish decides.
                return try await group.next() ?? nil
            }
        }
        if let answer { return answer }
        var response = HTTPServerResponse.status(.serviceUnavailable, "the request took longer than \(timeout)")
        response.headerFields[.connection] = "close"
        return response
    }
}
