import SchedulerPool
import SystemPackage
import TestSupport
import Testing

@testable import SchedulerSocket

/// The seed's tests and its four example scenarios, on pools inside 127.78.0.0/16.
@Suite("Seed scenarios", .timeLimit(.minutes(2)))
struct SeedScenarioTests {
    @Test("tcp socket creation: TCP, IPv4/IPv6, state created")
    func tcpSocketCreation() throws {
        for (socket, family) in [
            (try Socket.tcpV4(), AddressFamily.ipv4), (try Socket.tcpV6(), .ipv6),
            (try Socket.tcp(family: .ipv4), .ipv4),
        ] {
            #expect(socket.protocol == .tcp)
            #expect(socket.family == family)
            #expect(socket.state == .created)
            #expect(socket.handle >= 0)
            #expect(!socket.isBound && !socket.isConnected && !socket.isListening)
            #expect(socket.localIP == nil && socket.localPort == nil && socket.remoteAddress == nil)
        }
    }

    @Test("udp socket creation: UDP, IPv4/IPv6, state created")
    func udpSocketCreation() throws {
        for (socket, family) in [
            (try Socket.udpV4(), AddressFamily.ipv4), (try Socket.udpV6(), .ipv6),
            (try Socket.udp(family: .ipv6), .ipv6),
        ] {
            #expect(socket.protocol == .udp)
            #expect(socket.family == family)
            #expect(socket.state == .created)
        }
    }

    @Test("bind(_:) to a SocketAddress, port 0 picks a port")
    func socketBind() throws {
        let socket = try Socket.tcpV4()
        let ip = LoopbackAddresses.next()
        try socket.bind(SocketAddress(host: ip.description, port: 0))
        #expect(socket.state == .bound && socket.isBound)
        #expect(socket.localIP == ip)
        #expect((socket.localPort ?? 0) != 0)
    }

    @Test("bind(to:port:) a pool address")
    func socketBindToIP() throws {
        let pool = IPPool(name: "bind-pool")
        try pool.addCIDRRange("127.78.1.0/24")
        let ip = try pool.allocate(subinstance: "instance-01", resource: "my-service", type: .custom("socket"))
        let socket = try Socket.udpV4()
        try socket.bind(to: ip, port: 9000)
        #expect(socket.localIP == ip && socket.localPort == 9000)
    }

    @Test("lifecycle: created -> bound -> listening -> closed; the pool address is released")
    func socketLifecycle() throws {
        let pool = IPPool(name: "my-pool")
        try pool.addCIDRRange("127.78.2.0/24")
        let ip = try pool.allocate(subinstance: "instance", resource: "resource-id", type: .custom("socket"))
        let socket = try Socket.tcpV4()
        #expect(socket.state == .created)
        try socket.bind(to: ip, port: 8080)
        #expect(socket.state == .bound)
        try socket.listen(backlog: 100)
        #expect(socket.state == .listening && socket.isListening)
        try socket.close()
        #expect(socket.state == .closed && socket.handle == -1)
        try pool.release(subinstance: "instance", resource: "resource-id")
        #expect(pool.binding(for: ip) == nil)
    }

    @Test("scenario 1: TCP server on a pool address, a client talking to it")
    func tcpServerOnPoolAddress() throws {
        let pool = IPPool(name: "server-pool")
        try pool.addCIDRRange("127.78.3.0/24")
        let serverIP = try pool.allocate(
            subinstance: "web-services", resource: "http-server-1", type: .custom("tcp-server"))
        let server = try Socket.tcpV4()
        try server.bind(to: serverIP, port: 8080)
        try server.listen(backlog: 128)

        let client = Background { () throws -> [UInt8] in
            let client = try Socket.tcpV4()
            try client.connect(to: SocketAddress(ip: serverIP, port: 8080))
            #expect(client.isConnected && client.remoteAddress == SocketAddress(ip: serverIP, port: 8080))
            try client.send(Array("GET / HTTP/1.1\r\n\r\n".utf8))
            var response: [UInt8] = []
            while case let chunk = try client.recv(maxLength: 4096), !chunk.isEmpty { response += chunk }
            try client.close()
            return response
        }
        let connection = try server.accept()
        #expect(connection.state == .connected)
        #expect(connection.localAddress == SocketAddress(ip: serverIP, port: 8080))
        let request = try connection.recv(maxLength: 4096)
        #expect(String(decoding: request, as: UTF8.self) == "GET / HTTP/1.1\r\n\r\n")
        let response = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!"
        #expect(try connection.send(response) == response.utf8.count)
        try connection.close()
        #expect(String(decoding: try client.value(), as: UTF8.self) == response)
        try server.close()
    }

    @Test("scenario 2: TCP client with a source address chosen from a pool")
    func tcpClientWithChosenSource() throws {
        let pool = IPPool(name: "client-pool")
        try pool.addCIDRRange("127.78.4.0/24")
        let sourceIP = try pool.allocate(subinstance: "frontend", resource: "egress", type: .custom("tcp-client"))
        let (listener, serverAddress) = try makeListener()
        let client = try Socket.tcpV4()
        try client.bind(to: sourceIP, port: 0)
        #expect(client.state == .bound)
        try client.connect(to: serverAddress)
        #expect(client.state == .connected && client.localIP == sourceIP)
        #expect(
            client.description
                == "TCP IPv4 socket \(client.handle), connected, \(client.localAddress!) -> \(serverAddress)")
        let connection = try listener.accept()
        #expect(connection.remoteAddress == client.localAddress)
        try client.send("GET / HTTP/1.1\r\n\r\n")
        #expect(try connection.recv(maxLength: 4096) == Array("GET / HTTP/1.1\r\n\r\n".utf8))
        try connection.send("HTTP/1.1 204 No Content\r\n\r\n")
        #expect(try client.recv(maxLength: 4096) == Array("HTTP/1.1 204 No Content\r\n\r\n".utf8))
    }

    @Test("scenario 3: UDP between two pool addresses")
    func udpBetweenPoolAddresses() throws {
        let pool = IPPool(name: "udp-pool")
        try pool.addCIDRRange("127.78.5.0/24")
        let ipA = try pool.allocate(subinstance: "udp", resource: "a", type: .custom("udp"))
        let ipB = try pool.allocate(subinstance: "udp", resource: "b", type: .custom("udp"))
        let a = try Socket.udpV4()
        try a.bind(to: ipA, port: 9000)
        let b = try Socket.udpV4()
        try b.bind(to: ipB, port: 9001)
        #expect(try a.send(Array("Hello".utf8), to: SocketAddress(host: ipB.description, port: 9001)) == 5)
        let (data, sender) = try b.recvFrom(maxLength: 1024)
        #expect(data == Array("Hello".utf8))
        #expect(sender.host == ipA.description && sender.port == 9000)
        try b.send("World", to: sender)
        let reply = try a.recvFrom(maxLength: 1024)
        #expect(reply.data == Array("World".utf8) && reply.sender == SocketAddress(ip: ipB, port: 9001))
        // A datagram longer than maxLength is truncated to maxLength.
        try a.send([UInt8](repeating: 7, count: 100), to: SocketAddress(ip: ipB, port: 9001))
        #expect(try b.recvFrom(maxLength: 10).data == [UInt8](repeating: 7, count: 10))
    }

    @Test("scenario 4: two tenants on one pool, same port, separate addresses")
    func tenantsOnOnePool() throws {
        let pool = IPPool(name: "tenant-pool")
        try pool.addCIDRRange("127.78.6.0/24")
        let tenantAIP = try pool.allocate(subinstance: "tenant-a", resource: "web", type: .vm("web-vm-001"))
        let tenantA = try Socket.tcpV4()
        try tenantA.bind(with: try #require(pool.binding(for: tenantAIP)), port: 8080)
        try tenantA.listen(backlog: 100)
        let tenantBIP = try pool.allocate(subinstance: "tenant-b", resource: "api", type: .container("api-container"))
        let tenantB = try Socket.tcpV4()
        try tenantB.bind(with: try #require(pool.binding(for: tenantBIP)), port: 8080)
        try tenantB.listen(backlog: 200)
        #expect(pool.bindings(subinstance: "tenant-a").map(\.ip) == [tenantAIP])
        #expect(pool.bindings(subinstance: "tenant-b").map(\.ip) == [tenantBIP])

        // Each tenant's clients reach that tenant's listener.
        for (listener, ip) in [(tenantA, tenantAIP), (tenantB, tenantBIP)] {
            let client = try Socket.tcpV4()
            try client.connect(to: SocketAddress(ip: ip, port: 8080))
            let connection = try listener.accept()
            #expect(connection.localIP == ip)
        }

        // Once tenant A's address is released, its old binding no longer binds, for anyone.
        let stale = try #require(pool.binding(for: tenantAIP))
        try tenantA.close()
        try pool.release(subinstance: "tenant-a", resource: "web")
        let intruder = try Socket.tcpV4()
        let error = socketError { () throws(SocketError) in try intruder.bind(with: stale, port: 8080) }
        #expect(error == .bindingReleased(stale))
        #expect(
            error?.description
                == "bind \(tenantAIP): the binding of tenant-a/web was released from pool \"tenant-pool\"")
        #expect(intruder.state == .created)
    }
}
