import Glibc
import HTTPTypes
import SchedulerHTTP
import SchedulerPool
import Testing

/// One server on three pool addresses (one tenant each) and virtual hosts on one address.
@Suite(.timeLimit(.minutes(2))) struct TenantHostingTests {
    /// A site that names itself and the address it was reached at.
    struct Site: HTTPResponder {
        let name: String
        func respond(to request: HTTPServerRequest) async throws -> HTTPServerResponse {
            .text("\(name) at \(request.localAddress.ip)")
        }
    }

    static func ipv4(_ address: IPAddress) -> UInt32 {
        address.bytes.reduce(0) { $0 << 8 | UInt32($1) }
    }

    @Test func eachTenantAddressAnswersWithItsOwnSite() async throws {
        let pool = IPPool(name: "tenants")
        try pool.addCIDRRange("127.10.20.0/29")
        var sites = VirtualHosts()
        var bindings: [IPBinding] = []
        for tenant in ["alpha", "beta", "gamma"] {
            let ip = try pool.allocate(subinstance: tenant, resource: "web", type: .custom("http"))
            bindings.append(try #require(pool.binding(for: ip)))
            sites.add(address: ip, Site(name: tenant))
        }
        let server = HTTPServer(configuration: .init(engine: .init(threads: 1)), responder: sites)
        var port: UInt16 = 0
        for binding in bindings { port = try server.listen(on: binding, port: port).port }
        let running = await startRunning(server)
        for (binding, tenant) in zip(bindings, ["alpha", "beta", "gamma"]) {
            let client = try RawClient(port: port, host: Self.ipv4(binding.ip))
            try client.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(try client.readResponse().text == "\(tenant) at \(binding.ip)")
        }
        // An address of the pool that no tenant holds has no listener.
        #expect(throws: RawClientError(description: "connect: errno \(ECONNREFUSED)")) { try RawClient(port: port, host: 0x7f0a_1406) }
        #expect(server.addresses.count == 3)

        // Removing one tenant's address closes its listener; the others keep serving.
        await server.stopListening(on: SocketAddress(ip: bindings[1].ip, port: port))
        #expect(throws: RawClientError(description: "connect: errno \(ECONNREFUSED)")) { try RawClient(port: port, host: Self.ipv4(bindings[1].ip)) }
        let alpha = try RawClient(port: port, host: Self.ipv4(bindings[0].ip))
        try alpha.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try alpha.readResponse().text == "alpha at \(bindings[0].ip)")
        await server.shutdown()
        await running.value
    }

    @Test func releasingABindingInItsPoolStopsItsListener() async throws {
        let pool = IPPool(name: "released")
        try pool.addCIDRRange("127.10.21.0/30")
        let kept = try #require(pool.binding(for: try pool.allocate(subinstance: "kept", resource: "web", type: .custom("http"))))
        let gone = try #require(pool.binding(for: try pool.allocate(subinstance: "gone", resource: "web", type: .custom("http"))))
        let server = HTTPServer(configuration: .init(engine: .init(threads: 1)), responder: Site(name: "site"))
        let port = try server.listen(on: kept, port: 0).port
        _ = try server.listen(on: gone, port: port)
        let running = await startRunning(server)
        let before = try RawClient(port: port, host: Self.ipv4(gone.ip))
        try before.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try before.readResponse().status == 200)

        try pool.release(subinstance: "gone", resource: "web")
        var refused = false
        for _ in 0..<100 where !refused {
            try await Task.sleep(for: .milliseconds(20))
            do {
                _ = try RawClient(port: port, host: Self.ipv4(gone.ip))
            } catch let error as RawClientError {
                #expect(error.description == "connect: errno \(ECONNREFUSED)")
                refused = true
            }
        }
        #expect(refused)
        // The idle keep-alive connection on the released address was closed too.
        #expect(before.readsEndOfStream())
        #expect(server.addresses == [SocketAddress(ip: kept.ip, port: port)])
        let still = try RawClient(port: port, host: Self.ipv4(kept.ip))
        try still.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try still.readResponse().status == 200)
        await server.shutdown()
        await running.value
    }

    @Test func stopListeningWaitsForAStopAlreadyUnderWay() async throws {
        let pool = IPPool(name: "twice")
        try pool.addCIDRRange("127.10.22.0/30")
        let binding = try #require(pool.binding(for: try pool.allocate(subinstance: "t", resource: "web", type: .custom("http"))))
        let server = HTTPServer(configuration: .init(engine: .init(threads: 1)), responder: Site(name: "site"))
        let port = try server.listen(on: binding, port: 0).port
        let running = await startRunning(server)
        let idle = try RawClient(port: port, host: Self.ipv4(binding.ip))
        try idle.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(try idle.readResponse().status == 200)
        // The release starts a stop; the explicit call must not return before that stop is done.
        try pool.release(subinstance: "t", resource: "web")
        try await Task.sleep(for: .milliseconds(5))  // the release's stop is now draining
        await server.stopListening(on: SocketAddress(ip: binding.ip, port: port))
        #expect(throws: RawClientError(description: "connect: errno \(ECONNREFUSED)")) { try RawClient(port: port, host: Self.ipv4(binding.ip)) }
        await server.shutdown()
        await running.value
    }

    @Test func virtualHostsShareOneAddress() async throws {
        var sites = VirtualHosts(fallback: Site(name: "default"))
        sites.add(host: "a.example", Site(name: "a"))
        sites.add(host: "B.example", Site(name: "b"))
        try await withResponder(sites) { port in
            let client = try RawClient(port: port)
            try client.send("GET / HTTP/1.1\r\nHost: a.example:\(port)\r\n\r\n")
            #expect(try client.readResponse().text == "a at 127.0.0.1")
            try client.send("GET / HTTP/1.1\r\nHost: b.EXAMPLE\r\n\r\n")
            #expect(try client.readResponse().text == "b at 127.0.0.1")
            try client.send("GET / HTTP/1.1\r\nHost: c.example\r\n\r\n")
            #expect(try client.readResponse().text == "default at 127.0.0.1")
        }
    }
}

/// Runs `body` against a one-thread server answering with `responder` on a free loopback port.
func withResponder(_ responder: some HTTPResponder, _ body: (UInt16) async throws -> Void) async throws {
    let server = try HTTPServer(
        address: SocketAddress(ip: IPAddress("127.0.0.1")!, port: 0),
        configuration: .init(engine: .init(threads: 1)), responder: responder)
    let running = await startRunning(server)
    do { try await body(server.address.port) } catch {
        await server.shutdown()
        await running.value
        throw error
    }
    await server.shutdown()
    await running.value
}
