public import Metrics

/// Request metrics with swift-metrics: a counter of requests and a latency timer, both with
/// the dimensions `method`, `route` (the matched route pattern, e.g. `/users/:id`, so that
/// paths do not multiply the series; `unmatched` for 404 and 405 answers) and `status` (the
/// status class: `2xx`, `4xx`, ...).
///
/// The labels are `<prefix>.requests` and `<prefix>.request.duration` (prefix `http` unless
/// told). A handler that throws counts as `5xx`. The time runs until the response head is
/// ready (the writing of a streamed body is not included).
public struct MetricsMiddleware: HTTPSynchronousMiddleware {
    /// The start of the metric labels.
    public let prefix: String
    private let factory: (any MetricsFactory)?

    /// Records into `factory`, or into the bootstrapped `MetricsSystem` when nil.
    public init(prefix: String = "http", factory: (any MetricsFactory)? = nil) {
        self.prefix = prefix
        self.factory = factory
    }

    /// Calls `next` and records the request.
    public func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPNext) async throws
        -> HTTPServerResponse
    {
        let start = ContinuousClock.now
        let method = request.method.rawValue
        let route = context.route.isEmpty ? "unmatched" : context.route
        do {
            let response = try await next(request, context)
            record(method: method, route: route, status: response.status.code, since: start)
            return response
        } catch {
            record(method: method, route: route, status: 500, since: start)
            throw error
        }
    }

    /// Calls `next` and records the request, synchronously.
    public func handle(_ request: HTTPServerRequest, context: RouteContext, next: HTTPSyncNext) throws
        -> HTTPServerResponse
    {
        let start = ContinuousClock.now
        let method = request.method.rawValue
        let route = context.route.isEmpty ? "unmatched" : context.route
        do {
            let response = try next(request, context)
            record(method: method, route: route, status: response.status.code, since: start)
            return response
        } catch {
            record(method: method, route: route, status: 500, since: start)
            throw error
        }
    }

    private func record(method: String, route: String, status: Int, since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        let nanos = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        let dimensions = [("method", method), ("route", route), ("status", "\(status / 100)xx")]
        let factory = self.factory ?? MetricsSystem.factory
        Counter(label: prefix + ".requests", dimensions: dimensions, factory: factory).increment()
        Timer(label: prefix + ".request.duration", dimensions: dimensions, factory: factory)
            .recordNanoseconds(nanos)
    }
}
