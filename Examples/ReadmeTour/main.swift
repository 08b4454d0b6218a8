// swift-format-ignore-file
// (the README block below keeps its aligned comments, as the README shows it)
// The README's Tour, verbatim between the README lines, with checks that it did what its
// comments say. `make readme-check` fails when the two differ.
#if canImport(Glibc)
    import Glibc
#endif

// README begin
import SchedulerCore

let pool = IPPool(name: "server-pool")
try pool.addCIDRRange("127.10.0.0/24")
let ip = try pool.allocate(subinstance: "web-services", resource: "http-server-1", type: .custom("tcp-server"))

let server = try Socket.tcpV4()                               // created
try server.bind(with: pool.binding(for: ip)!, port: 8080)     // bound (refused once the address is released)
try server.listen(backlog: 128)                               // listening

let client = try Socket.tcpV4()
let source = try pool.allocate(subinstance: "clients", resource: "c1", type: .custom("tcp-client"))
try client.bind(to: source, port: 0)                          // choose the source address
try client.connect(to: SocketAddress(ip: ip, port: 8080))     // connected
try client.send("GET / HTTP/1.1\r\n\r\n")                     // TCP: every byte or an error, never SIGPIPE

let connection = try server.accept()                          // a connected Socket
let request = try connection.recv(maxLength: 4096)            // [] means the peer closed
try connection.send(Array("HTTP/1.1 200 OK\r\n\r\n".utf8))
let response = try client.recv(maxLength: 4096)               // the 19 bytes of the reply

let udp = try Socket.udpV4()
try udp.bind(to: ip, port: 9000)
let peer = try Socket.udpV4()
try peer.bind(to: source, port: 9001)
try peer.send("Hello", to: SocketAddress(ip: ip, port: 9000))
let (data, sender) = try udp.recvFrom(maxLength: 1024)        // "Hello" from 127.10.0.2:9001

print(pool.bindings(subinstance: "clients"))                  // every address a tenant holds
try pool.release(subinstance: "clients", resource: "c1")

try server.setReceiveTimeout(.seconds(5))   // accept/recv then throw .timedOut; the socket stays usable
do { try server.listen(backlog: 1) } catch { print(error) }
// listen: not allowed on a TCP socket in state listening
// A failing system call reads: bind 127.10.0.1:8080: Address already in use (EADDRINUSE, errno 98)
let fd = try server.releaseDescriptor()     // hand a pool-bound socket to e.g. SwiftNIO's withBoundSocket
// README end

/// Stops the example with `message` unless `condition` holds.
func check(_ condition: Bool, _ message: String) {
    if !condition {
        print("readme-tour: FAILED: \(message)")
        exit(1)
    }
}

check(ip.description == "127.10.0.1", "the first address of 127.10.0.0/24 is \(ip)")
check(String(decoding: request, as: UTF8.self) == "GET / HTTP/1.1\r\n\r\n", "the server read \(request)")
check(String(decoding: response, as: UTF8.self) == "HTTP/1.1 200 OK\r\n\r\n", "the client read \(response)")
check(String(decoding: data, as: UTF8.self) == "Hello", "UDP got \(data)")
check(sender.description == "127.10.0.2:9001", "UDP sender \(sender)")
check(pool.bindings(subinstance: "clients").isEmpty, "released, the tenant holds nothing")
check(fd >= 0 && close(fd) == 0, "the released descriptor \(fd) is open and ours")
print("readme-tour: OK")
