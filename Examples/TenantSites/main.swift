// swift-format-ignore-file
// tenant-sites: three tenants get an address each from a pool inside 127.0.0.0/8; one HTTP
// server listens on all three and serves each tenant its own site; a client (the library's
// blocking Socket) asks each address and prints what it answered. Then one tenant's address is
// released in the pool, and its listener goes with it.
import SchedulerCore

let pool = IPPool(name: "tenant-sites")
try pool.addCIDRRange("127.30.0.0/29")

// README begin
var sites = VirtualHosts()
var bindings: [IPBinding] = []
for tenant in ["alpha", "beta", "gamma"] {
    let ip = try pool.allocate(subinstance: tenant, resource: "website", type: .custom("http"))
    let binding = pool.binding(for: ip)!
    bindings.append(binding)
    var router = HTTPRouter()
    try router.get("/") { request, _ in "Welcome to \(tenant)'s site, served from \(request.localAddress)\n" }
    try router.get("/about") { _, _ in "\(tenant) is a tenant of pool \(binding.pool)\n" }
    sites.add(address: ip, router)
}

let server = HTTPServer(configuration: .init(engine: .init(threads: 1)), responder: sites)
var port: UInt16 = 0
for binding in bindings {
    port = try server.listen(on: binding, port: port).port
}
// Detached: the client below blocks this (main) thread, and the server must not wait for it.
let running = Task.detached { await server.run() }
// README end

/// GET `path` from `address` with a plain socket; the response's body, or the error.
func get(_ path: String, from address: SocketAddress) -> String {
    do {
        let socket = try Socket.tcpV4()
        defer { try? socket.close() }
        try socket.setReceiveTimeout(.seconds(5))
        try socket.connect(to: address)
        _ = try socket.send(Array("GET \(path) HTTP/1.1\r\nHost: tenant\r\nConnection: close\r\n\r\n".utf8))
        var response: [UInt8] = []
        while true {
            let chunk = try socket.recv(maxLength: 4096)
            if chunk.isEmpty { break }
            response += chunk
        }
        let text = String(decoding: response, as: UTF8.self)
        return text.split(separator: "\r\n\r\n", maxSplits: 1).last.map(String.init) ?? text
    } catch {
        return "error: \(error)\n"
    }
}

for binding in bindings {
    let address = SocketAddress(ip: binding.ip, port: port)
    print("GET http://\(address)/ -> \(get("/", from: address))", terminator: "")
    print("GET http://\(address)/about -> \(get("/about", from: address))", terminator: "")
}

try pool.release(subinstance: "beta", resource: "website")
await server.stopListening(on: SocketAddress(ip: bindings[1].ip, port: port))
print("beta released its address; GET http://\(bindings[1].ip):\(port)/ -> "
    + get("/", from: SocketAddress(ip: bindings[1].ip, port: port)), terminator: "")
await server.shutdown()
await running.value
print("tenant-sites: done")
