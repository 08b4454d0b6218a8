// The SwiftNIO NIOHTTP1 peer for `make bench-http`: `GET /` (text/plain `Hello, World!`) and
// `GET /json`, each with a Date header cached per second, on one event loop, 127.0.0.1 only.
// The usual NIO server: configureHTTPServerPipeline (pipelining assistance on) and one handler.
// Usage: NIOHTTPServer PORT
import Glibc
import NIOCore
import NIOHTTP1
import NIOPosix

/// The `Date` header value for now, formatted once per second on the loop.
final class DateCache: @unchecked Sendable {
    private(set) var value = DateCache.format()
    init(loop: EventLoop) {
        loop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [self] _ in
            self.value = DateCache.format()
        }
    }
    static func format() -> String {
        var now = time(nil)
        var parts = tm()
        gmtime_r(&now, &parts)
        var out = [CChar](repeating: 0, count: 64)
        let n = strftime(&out, 64, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        return String(decoding: out[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Answers `/` and `/json`; 404 for anything else.
final class HelloHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let dates: DateCache
    var keepAlive = true
    var uri = "/"
    static let plain = ByteBuffer(string: "Hello, World!")
    static let json = ByteBuffer(string: #"{"message":"Hello, World!"}"#)

    init(dates: DateCache) { self.dates = dates }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
            uri = head.uri
        case .body:
            break
        case .end:
            let body: ByteBuffer
            var headers = HTTPHeaders()
            var status = HTTPResponseStatus.ok
            switch uri {
            case "/":
                body = Self.plain
                headers.add(name: "Content-Type", value: "text/plain")
            case "/json":
                body = Self.json
                headers.add(name: "Content-Type", value: "application/json")
            default:
                body = ByteBuffer()
                status = .notFound
            }
            headers.add(name: "Content-Length", value: String(body.readableBytes))
            headers.add(name: "Date", value: dates.value)
            if !keepAlive { headers.add(name: "Connection", value: "close") }
            context.write(
                wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
                promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            if !keepAlive { context.close(promise: nil) }
        }
    }
}

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 8080 : 8080
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let dates = DateCache(loop: group.next())
let bootstrap = ServerBootstrap(group: group)
    .serverChannelOption(ChannelOptions.backlog, value: 1024)
    .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline()
            try channel.pipeline.syncOperations.addHandler(HelloHandler(dates: dates))
        }
    }
let channel = try bootstrap.bind(host: "127.0.0.1", port: port).wait()
try channel.closeFuture.wait()
