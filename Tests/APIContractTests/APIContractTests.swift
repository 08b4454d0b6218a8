// Written only against ../shared/docs/API.md: if these names change, this target stops compiling.
import SchedulerCore
import Testing

@Suite("API.md contract", .timeLimit(.minutes(2)))
struct APIContractTests {
    @Test("addresses parse, print and compare as API.md lists")
    func addresses() throws {
        let v4 = try #require(IPAddress("10.0.0.1"))
        #expect("\(v4)" == "10.0.0.1")
        let v6 = try #require(IPAddress("2001:0db8:0000:0000:0000:0000:0000:0001"))
        #expect("\(v6)" == "2001:db8::1")
        #expect(IPAddress("10.0.0.256") == nil)
        let next = try #require(IPAddress("10.0.0.2"))
        #expect(v4 < next)
        let network = try #require(IPNetwork("10.0.0.0/16"))
        #expect(network.prefixLength == 16)
        #expect(network.contains(v4))
        #expect("\(network.count)" == "65536")
        let all6 = try #require(IPNetwork("::/0"))
        #expect("\(all6.count)" == "340282366920938463463374607431768211456")
        #expect(IPNetwork("10.0.0.0/33") == nil)
        let address = try SocketAddress(host: "192.168.1.1", port: 8080)
        #expect(address.host == "192.168.1.1")
        #expect(address.port == 8080)
        #expect(address.ip == IPAddress("192.168.1.1"))
        #expect(throws: IPPoolError.malformedAddress("not-an-ip")) { try SocketAddress(host: "not-an-ip", port: 1) }
    }

    @Test("the seed's pool tour: allocate, find, list, release")
    func poolTour() throws {
        let pool = IPPool(name: "my-pool")
        try pool.addCIDRRange("127.42.1.0/24")
        let ip = try pool.allocate(subinstance: "instance-01", resource: "my-service", type: .custom("socket"))
        #expect(try #require(IPNetwork("127.42.1.0/24")).contains(ip))
        let binding = try #require(pool.binding(for: ip))
        #expect(binding.ip == ip)
        #expect(binding.subinstance == "instance-01")
        #expect(binding.resource == "my-service")
        #expect(binding.type == .custom("socket"))
        #expect(binding.pool == "my-pool")
        _ = try pool.allocate(subinstance: "tenant-a", resource: "web", type: .vm("web-vm-001"))
        _ = try pool.allocate(subinstance: "tenant-a", resource: "db", type: .container("db-1"))
        #expect(pool.bindings(subinstance: "tenant-a").count == 2)
        try pool.release(subinstance: "instance-01", resource: "my-service")
        #expect(pool.binding(for: ip) == nil)
        #expect(throws: IPPoolError.unknownOwner(subinstance: "instance-01", resource: "my-service")) {
            try pool.release(subinstance: "instance-01", resource: "my-service")
        }
        let badRange = #expect(throws: IPPoolError.self) { try pool.addCIDRRange("127.42.1.0/33") }
        #expect(badRange?.description.hasPrefix("malformed range \"127.42.1.0/33\"") == true, "\(String(describing: badRange))")
    }

    @Test("the seed's TCP server and client on a pool address")
    func tcpTour() throws {
        let pool = IPPool(name: "server-pool")
        try pool.addCIDRRange("127.42.2.0/24")
        let serverIP = try pool.allocate(
            subinstance: "web-services", resource: "http-server-1", type: .custom("tcp-server"))
        let binding = try #require(pool.binding(for: serverIP))

        var server = try Socket.tcpV4()
        #expect(server.state == .created)
        try server.bind(with: binding, port: 0)
        #expect(server.isBound)
        try server.listen(backlog: 128)
        #expect(server.isListening)
        #expect(server.localIP == serverIP)
        let port = try #require(server.localPort)
        #expect(server.protocol == .tcp)
        #expect(server.family == .ipv4)

        var client = try Socket.tcp(family: .ipv4)
        try client.bind(to: try #require(IPAddress("127.42.2.200")), port: 0)
        try client.connect(to: SocketAddress(ip: serverIP, port: port))
        #expect(client.isConnected)
        #expect(client.remoteAddress == SocketAddress(ip: serverIP, port: port))

        var accepted = try server.accept()
        #expect(accepted.state == .connected)
        #expect(try client.send(Array("GET / HTTP/1.1\r\n\r\n".utf8)) == 18)
        #expect(try accepted.recv(maxLength: 4096) == Array("GET / HTTP/1.1\r\n\r\n".utf8))
        _ = try accepted.send(Array("Response".utf8))
        #expect(try client.recv(maxLength: 4096) == Array("Response".utf8))
        try accepted.close()
        #expect(try client.recv(maxLength: 16) == [])
        try client.close()
        #expect(client.state == .closed)
        try server.close()
        #expect(throws: SocketError.illegalState(operation: .listen, state: .closed, protocol: .tcp)) {
            try server.listen(backlog: 1)
        }
    }

    @Test("the seed's UDP scenario between two pool addresses")
    func udpTour() throws {
        let pool = IPPool(name: "udp-pool")
        try pool.addCIDRRange("127.42.3.0/24")
        let a = try pool.allocate(subinstance: "t", resource: "a", type: .custom("udp"))
        let b = try pool.allocate(subinstance: "t", resource: "b", type: .custom("udp"))
        var left = try Socket.udpV4()
        try left.bind(to: a, port: 0)
        var right = try Socket.udp(family: .ipv4)
        try right.bind(SocketAddress(ip: b, port: 0))
        let target = SocketAddress(ip: b, port: try #require(right.localPort))
        #expect(try left.send(Array("Hello".utf8), to: target) == 5)
        let (data, sender) = try right.recvFrom(maxLength: 1024)
        #expect(data == Array("Hello".utf8))
        #expect(sender.ip == a)
        #expect(sender.host == "\(a)")
        try left.close()
        try right.close()
    }

    @Test("a released binding cannot be bound")
    func releasedBinding() throws {
        let pool = IPPool(name: "tenants")
        try pool.addCIDRRange("127.42.4.0/30")
        let ip = try pool.allocate(subinstance: "tenant-b", resource: "api", type: .container("api-container"))
        let binding = try #require(pool.binding(for: ip))
        try pool.release(subinstance: "tenant-b", resource: "api")
        var socket = try Socket.tcpV4()
        #expect(throws: SocketError.bindingReleased(binding)) { try socket.bind(with: binding, port: 0) }
        #expect(socket.state == .created)
        try socket.close()
    }

    @Test("IPv6 on ::1")
    func ipv6Loopback() throws {
        var server = try Socket.tcpV6()
        try server.bind(to: try #require(IPAddress("::1")), port: 0)
        try server.listen(backlog: 4)
        var client = try Socket.tcp(family: .ipv6)
        try client.connect(to: SocketAddress(host: "::1", port: try #require(server.localPort)))
        var peer = try server.accept()
        _ = try client.send(Array("v6".utf8))
        #expect(try peer.recv(maxLength: 8) == Array("v6".utf8))
        #expect(peer.family == .ipv6)
        _ = server.handle
        try peer.close()
        try client.close()
        try server.close()
    }
}
