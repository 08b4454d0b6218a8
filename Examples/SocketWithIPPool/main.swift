import SchedulerCore

// Four scenarios (`make run`) on pools inside 127.0.0.0/8:
// every 127.x.y.z address is local on Linux, so the scenarios bind real pool addresses and
// exchange real traffic on any machine without configuring an interface.
#if canImport(Glibc)
    import Glibc
#endif

/// Fails the scenario with `message` unless `condition` holds.
func require(_ condition: Bool, _ message: String) throws(ScenarioFailure) {
    if !condition { throw ScenarioFailure(message: message) }
}

/// A scenario whose result was not what it should be.
struct ScenarioFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

/// Scenario 1: a TCP server on a pool address, and a client talking to it.
func tcpServerOnPoolAddress() throws {
    let pool = IPPool(name: "server-pool")
    try pool.addCIDRRange("127.10.0.0/24")
    let serverIP = try pool.allocate(
        subinstance: "web-services", resource: "http-server-1", type: .custom("tcp-server"))

    let server = try Socket.tcpV4()
    try server.bind(to: serverIP, port: 8080)
    try server.listen(backlog: 128)
    print("  server listening on \(serverIP):8080")

    let client = try Socket.tcpV4()
    try client.connect(to: SocketAddress(host: serverIP.description, port: 8080))
    try client.send("GET / HTTP/1.1\r\nHost: \(serverIP)\r\n\r\n")

    let connection = try server.accept()
    let request = try connection.recv(maxLength: 4096)
    print(
        "  server got \(request.count) bytes from \(connection.remoteAddress!): \(text(request).split(separator: "\r\n").first ?? "")"
    )
    try connection.send("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!")
    try connection.close()

    var response: [UInt8] = []
    while case let chunk = try client.recv(maxLength: 4096), !chunk.isEmpty { response += chunk }
    print("  client got: \(text(response).split(separator: "\r\n").first ?? "") ... \(text(response).suffix(13))")
    try require(text(response).hasSuffix("Hello, World!"), "the client did not get the server's response")
    try client.close()
    try server.close()
}

/// Scenario 2: a TCP client that chooses its source address from a pool.
func tcpClientWithChosenSource() throws {
    let pool = IPPool(name: "client-pool")
    try pool.addCIDRRange("127.11.0.0/24")
    let serverIP = try pool.allocate(subinstance: "backend", resource: "api", type: .custom("tcp-server"))
    let sourceIP = try pool.allocate(subinstance: "frontend", resource: "egress", type: .custom("tcp-client"))

    let server = try Socket.tcpV4()
    try server.bind(to: serverIP, port: 0)
    try server.listen(backlog: 16)
    let serverAddress = SocketAddress(ip: serverIP, port: server.localPort!)

    let client = try Socket.tcpV4()
    try client.bind(to: sourceIP, port: 0)  // port 0: the kernel chooses
    try client.connect(to: serverAddress)
    print("  client \(client.localIP!):\(client.localPort!) -> server \(serverAddress), state \(client.state)")

    let connection = try server.accept()
    print("  server sees the connection coming from \(connection.remoteAddress!)")
    try require(connection.remoteAddress?.ip == sourceIP, "the server saw another source address than the pool's")
    try client.send("ping")
    let ping = try connection.recv(maxLength: 64)
    try connection.send(ping.reversed())
    print("  client sent \"ping\", got \"\(text(try client.recv(maxLength: 64)))\"")
    try client.close()
    try connection.close()
    try server.close()
}

/// Scenario 3: UDP datagrams between two pool addresses.
func udpBetweenPoolAddresses() throws {
    let pool = IPPool(name: "udp-pool")
    try pool.addCIDRRange("127.12.0.0/24")
    let ipA = try pool.allocate(subinstance: "udp", resource: "sender", type: .custom("udp"))
    let ipB = try pool.allocate(subinstance: "udp", resource: "receiver", type: .custom("udp"))

    let a = try Socket.udpV4()
    try a.bind(to: ipA, port: 9000)
    let b = try Socket.udpV4()
    try b.bind(to: ipB, port: 9001)

    try a.send("Hello", to: SocketAddress(ip: ipB, port: 9001))
    let (data, sender) = try b.recvFrom(maxLength: 1024)
    print("  \(ipB):9001 received \"\(text(data))\" from \(sender.host):\(sender.port)")
    try require(sender == SocketAddress(ip: ipA, port: 9000), "the datagram came from an unexpected sender")
    try b.send("Hello back", to: sender)
    let reply = try a.recvFrom(maxLength: 1024)
    print("  \(ipA):9000 received \"\(text(reply.data))\" from \(reply.sender)")
    try a.close()
    try b.close()
}

/// Scenario 4: two tenants on one pool, each with its own address and the same port.
func tenantsOnOnePool() throws {
    let pool = IPPool(name: "tenant-pool")
    try pool.addCIDRRange("127.13.0.0/24")

    let tenantAIP = try pool.allocate(subinstance: "tenant-a", resource: "web", type: .vm("web-vm-001"))
    let tenantA = try Socket.tcpV4()
    try tenantA.bind(with: pool.binding(for: tenantAIP)!, port: 8080)
    try tenantA.listen(backlog: 100)

    let tenantBIP = try pool.allocate(subinstance: "tenant-b", resource: "api", type: .container("api-container"))
    let tenantB = try Socket.tcpV4()
    try tenantB.bind(with: pool.binding(for: tenantBIP)!, port: 8080)
    try tenantB.listen(backlog: 200)

    print("  tenant-a listens on \(tenantA.localAddress!), tenant-b on \(tenantB.localAddress!)")
    for tenant in ["tenant-a", "tenant-b"] {
        let bindings = pool.bindings(subinstance: tenant)
        print(
            "  \(tenant): \(bindings.count) IP(s): \(bindings.map { "\($0.ip) (\($0.type))" }.joined(separator: ", "))")
    }

    // A released address can no longer be bound through its old binding.
    let staleBinding = pool.binding(for: tenantAIP)!
    try tenantA.close()
    try pool.release(subinstance: "tenant-a", resource: "web")
    let late = try Socket.tcpV4()
    do {
        try late.bind(with: staleBinding, port: 8080)
        throw ScenarioFailure(message: "a released binding was accepted")
    } catch SocketError.bindingReleased(let binding) {
        print("  after release: \(SocketError.bindingReleased(binding))")
    }
    try late.close()
    try tenantB.close()
}

let scenarios: [(String, () throws -> Void)] = [
    ("1. TCP server on a pool address", tcpServerOnPoolAddress),
    ("2. TCP client with a chosen source address", tcpClientWithChosenSource),
    ("3. UDP between two pool addresses", udpBetweenPoolAddresses),
    ("4. Two tenants on one pool", tenantsOnOnePool),
]

do {
    try IOBackend.requireAvailable()
} catch {
    print("socket-with-ip-pool: \(error)")
    exit(1)
}
print("socket-with-ip-pool: I/O backend \(IOBackend.current) (\(IOBackend.features))")
var failures = 0
for (name, run) in scenarios {
    print(name)
    do {
        try run()
        print("  ok")
    } catch {
        failures += 1
        print("  FAILED: \(error)")
    }
}
print(failures == 0 ? "all \(scenarios.count) scenarios passed" : "\(failures) of \(scenarios.count) scenarios failed")
exit(failures == 0 ? 0 : 1)
