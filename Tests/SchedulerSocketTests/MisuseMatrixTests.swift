import SchedulerPool
import TestSupport
import Testing

@testable import SchedulerSocket

/// One illegal (protocol, state, operation) combination.
struct Misuse: Sendable, CustomTestStringConvertible {
    let proto: SocketProtocol
    let state: SocketState
    let operation: SocketOperation
    var testDescription: String { "\(operation) on \(proto) \(state)" }
}

/// Every operation a socket instance offers (creation and adoption are not instance calls).
let instanceOperations: [SocketOperation] = [
    .bind, .listen, .accept, .connect, .send, .recv, .sendTo, .recvFrom, .close, .setOption,
    .borrowDescriptor, .releaseDescriptor,
]

/// The illegal transitions, written from API.md's state machine independently of the table in
/// SocketTransitions.
let illegalTransitions: [Misuse] = {
    let spec: [(SocketProtocol, SocketState, [SocketOperation])] = [
        (.tcp, .created, [.listen, .accept, .send, .recv, .sendTo, .recvFrom]),
        (.tcp, .bound, [.bind, .accept, .send, .recv, .sendTo, .recvFrom]),
        (.tcp, .listening, [.bind, .listen, .connect, .send, .recv, .sendTo, .recvFrom]),
        (.tcp, .connected, [.bind, .listen, .accept, .connect, .sendTo, .recvFrom]),
        (.tcp, .closed, instanceOperations),
        (.udp, .created, [.listen, .accept, .send, .recv, .recvFrom]),
        (.udp, .bound, [.bind, .listen, .accept, .send]),
        (.udp, .connected, [.bind, .listen, .accept, .connect]),
        (.udp, .closed, instanceOperations),
    ]
    return spec.flatMap { proto, state, operations in
        operations.map { Misuse(proto: proto, state: state, operation: $0) }
    }
}()

@Suite("Misuse matrix", .timeLimit(.minutes(2)))
struct MisuseMatrixTests {
    /// A real socket in `state`, plus sockets that must stay alive while it is used.
    static func socket(_ proto: SocketProtocol, in state: SocketState) throws -> (Socket, [Socket]) {
        let socket = proto == .tcp ? try Socket.tcpV4() : try Socket.udpV4()
        switch state {
        case .created:
            return (socket, [])
        case .bound:
            try socket.bind(LoopbackAddresses.nextSocketAddress())
            return (socket, [])
        case .listening:
            try socket.bind(LoopbackAddresses.nextSocketAddress())
            try socket.listen(backlog: 4)
            return (socket, [])
        case .connected:
            if proto == .tcp {
                let (listener, address) = try makeListener()
                try socket.connect(to: address)
                return (socket, [listener])
            }
            let peer = try Socket.udpV4()
            try peer.bind(LoopbackAddresses.nextSocketAddress())
            try socket.connect(to: peer.localAddress!)
            return (socket, [peer])
        case .closed:
            try socket.close()
            return (socket, [])
        }
    }

    /// Attempts `operation` with sensible arguments.
    static func attempt(_ operation: SocketOperation, on socket: Socket) throws(SocketError) {
        let target = SocketAddress(ip: LoopbackAddresses.next(), port: 9)
        switch operation {
        case .bind: try socket.bind(LoopbackAddresses.nextSocketAddress())
        case .listen: try socket.listen(backlog: 4)
        case .accept: _ = try socket.accept()
        case .connect: try socket.connect(to: target)
        case .send: try socket.send([1, 2, 3])
        case .recv: _ = try socket.recv(maxLength: 16)
        case .sendTo: try socket.send([1, 2, 3], to: target)
        case .recvFrom: _ = try socket.recvFrom(maxLength: 16)
        case .close: try socket.close()
        case .setOption: try socket.setReuseAddress(true)
        case .borrowDescriptor: _ = try socket.withDescriptor { $0 }
        case .releaseDescriptor: _ = try socket.releaseDescriptor()
        case .create, .adopt: Issue.record("not an instance operation")
        }
    }

    @Test(
        "an illegal operation throws illegalState naming it and the state, and changes nothing",
        arguments: illegalTransitions)
    func illegalOperation(_ misuse: Misuse) throws {
        let (socket, keepAlive) = try Self.socket(misuse.proto, in: misuse.state)
        let handle = socket.handle
        let local = socket.localAddress
        let remote = socket.remoteAddress
        let error = socketError { () throws(SocketError) in try Self.attempt(misuse.operation, on: socket) }
        #expect(error == .illegalState(operation: misuse.operation, state: misuse.state, protocol: misuse.proto))
        #expect(
            error?.description
                == "\(misuse.operation): not allowed on a \(misuse.proto) socket in state \(misuse.state)")
        #expect(socket.state == misuse.state)
        #expect(socket.handle == handle)
        #expect(socket.localAddress == local && socket.remoteAddress == remote)
        if handle >= 0 { #expect(isOpen(handle)) }
        _ = keepAlive
    }

    @Test("the state machine allows exactly what the specification allows")
    func tableMatchesSpecification() {
        let illegal = Set(illegalTransitions.map { "\($0.proto) \($0.state) \($0.operation)" })
        for proto in [SocketProtocol.tcp, .udp] {
            for state in [SocketState.created, .bound, .connected, .closed] {
                for operation in instanceOperations {
                    let allowed = SocketTransitions.next(proto, state, operation) != nil
                    #expect(
                        allowed != illegal.contains("\(proto) \(state) \(operation)"),
                        "\(operation) on \(proto) \(state)")
                }
            }
            // Creation is never an event of an existing socket.
            #expect(SocketTransitions.next(proto, .created, .create) == nil)
            #expect(SocketTransitions.next(proto, .created, .adopt) == nil)
        }
        for operation in instanceOperations {
            let allowed = SocketTransitions.next(.tcp, .listening, operation) != nil
            #expect(allowed != illegal.contains("TCP listening \(operation)"), "\(operation) on TCP listening")
            if ![.close, .setOption, .borrowDescriptor, .releaseDescriptor].contains(operation) {
                #expect(SocketTransitions.next(.udp, .listening, operation) == nil, "UDP never listens")
            }
        }
    }

    @Test("legal transitions reach the states API.md draws")
    func legalPaths() throws {
        // created -> bound -> listening; created -> bound -> connected; created -> connected.
        let (listener, address) = try makeListener()
        #expect(listener.state == .listening)
        let boundClient = try Socket.tcpV4()
        try boundClient.bind(LoopbackAddresses.nextSocketAddress())
        try boundClient.connect(to: address)
        #expect(boundClient.state == .connected)
        let plainClient = try Socket.tcpV4()
        try plainClient.connect(to: address)
        #expect(plainClient.state == .connected && plainClient.isBound && plainClient.localPort != nil)
        // UDP: created -> bound, and send(to:) from created binds an ephemeral port.
        let udp = try Socket.udpV4()
        try udp.send([1], to: SocketAddress(ip: LoopbackAddresses.next(), port: 9))
        #expect(udp.state == .bound && udp.localPort != nil)
        // any -> closed.
        for socket in [listener, boundClient, plainClient, udp] {
            try socket.close()
            #expect(socket.state == .closed)
        }
    }
}
