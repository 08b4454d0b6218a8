import Logging
import SchedulerPool

/// An error a ``TCPServer/serve(_:)`` connection handler threw, with where it happened; what
/// ``TCPServer/Configuration/onHandlerError`` receives.
public struct HandlerFailure: Sendable, CustomStringConvertible {
    /// The error the handler threw.
    public let error: any Error
    /// The peer of the connection.
    public let peer: SocketAddress
    /// The address the server listens on.
    public let server: SocketAddress
    /// What failed: the connection handler, run by `serve`.
    public let operation: String

    /// `connection handler for 127.0.0.1:50112 on 127.0.0.1:8080 threw: <error>`.
    public var description: String {
        "\(operation) for \(peer) on \(server) threw: \(error)"
    }

    /// Logs the failure at error level with the peer, server, operation and error as metadata.
    func log(to logger: Logger) {
        logger.error(
            "\(description)",
            metadata: [
                "peer": "\(peer)", "server": "\(server)", "operation": "\(operation)",
                "error": "\(String(reflecting: error))",
            ])
    }
}
