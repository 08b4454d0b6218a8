// SwiftNIO's echo server (after NIO's own NIOEchoServer example), one event loop thread,
// TCP_NODELAY on like the other peers. Runs until killed (SIGINT/SIGTERM end it).
import NIOCore
import NIOPosix

/// Writes back what it reads; flushes once per read batch, as NIO's example does.
private final class EchoHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

@main
struct NIOEchoServer {
    static func main() throws {
        let arguments = CommandLine.arguments
        guard arguments.count == 2, let port = Int(arguments[1]) else {
            print("usage: NIOEchoServer PORT")
            return
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator())
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(EchoHandler())
                }
            }
        let channel = try bootstrap.bind(host: "127.0.0.1", port: port).wait()
        print("nio-echo: listening on \(channel.localAddress!)")
        try channel.closeFuture.wait()
        try group.syncShutdownGracefully()
    }
}
