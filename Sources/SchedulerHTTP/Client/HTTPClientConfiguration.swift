public import SchedulerEngine

extension HTTPClient {
    /// Timeouts, pool sizes, redirects, limits and the default source address of a client.
    public struct Configuration: Sendable {
        /// The longest a TCP connect may take.
        public var connectTimeout: Duration = .seconds(10)
        /// The longest wait for the next byte of a response (or for room to send).
        public var readTimeout: Duration = .seconds(30)
        /// A bound on a whole request, redirects and body reading included (nil: none).
        public var totalTimeout: Duration? = nil
        /// Whether 301, 302, 303, 307 and 308 answers are followed.
        public var followRedirects: Bool = true
        /// The most redirects followed for one request; one more throws `tooManyRedirects`.
        public var maxRedirects: Int = 10
        /// The most connections per scheme, host, port and source; further requests wait in order.
        public var maxConnectionsPerKey: Int = 8
        /// How long an unused keep-alive connection stays open.
        public var idleTimeout: Duration = .seconds(60)
        /// Where connections leave from unless a request says otherwise (nil: the kernel picks).
        public var source: HTTPClientSource? = nil
        /// Sends `Accept-Encoding: gzip` and decodes gzip bodies.
        public var decompression: Bool = false
        /// The most bytes a decoded body may grow to.
        public var maxDecompressedBytes: Int = 64 << 20
        /// The most body bytes a response may carry (nil: no bound, e.g. for downloads).
        public var maxResponseBodyBytes: Int? = nil
        /// Limits on the response heads (64 KiB, 100 fields by default).
        public var parserLimits: HTTPParserLimits = .default
        /// How long to wait for `100 Continue` after a head with `Expect: 100-continue`
        /// before the body is sent anyway.
        public var expectContinueTimeout: Duration = .seconds(1)
        /// The `User-Agent` sent when the request has none (nil: none).
        public var userAgent: String? = "scheduler-core-http-client"
        /// The engine that runs the connections.
        public var engine: TCPEngine.Configuration = .init(threads: 1)

        /// The defaults: 10 s connect, 30 s read, no total bound, 10 redirects, 8 connections per key.
        public init() {}
    }
}
