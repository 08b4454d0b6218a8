import Foundation
import SchedulerPool
import TestSupport
import Testing

@testable import SchedulerSocket

/// Where `ip` lives, if anywhere.
let ipCommand = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].first {
    FileManager.default.isExecutableFile(atPath: $0)
}

/// Whether this process may create a network namespace and configure it: tried once in a
/// child (`unshare -n ip link set lo up`), so that the test skips cleanly where it may not.
let privateNetworkNamespacesWork: Bool = {
    guard let ipCommand, FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { return false }
    let probe = Process()
    probe.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
    probe.arguments = ["-n", ipCommand, "link", "set", "lo", "up"]
    probe.standardError = FileHandle.nullDevice
    guard (try? probe.run()) != nil else { return false }
    probe.waitUntilExit()
    return probe.terminationStatus == 0
}()

/// unshare(2) (Glibc's module map hides it behind _GNU_SOURCE) looked up at run time.
func unshareNetworkNamespace() -> Int32 {
    let cloneNewNet: Int32 = 0x4000_0000  // CLONE_NEWNET
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "unshare") else { return -1 }
    let unshare = unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
    return unshare(cloneNewNet)
}

/// Runs `ip` with `arguments` from the calling thread (so it sees this thread's namespace) and
/// returns its exit status.
func runIP(_ arguments: [String]) -> Int32 {
    let argv = ([ipCommand!] + arguments).map { strdup($0) } + [nil]
    defer { for argument in argv { free(argument) } }
    var pid: pid_t = 0
    guard posix_spawn(&pid, ipCommand!, nil, nil, argv, environ) == 0 else { return -1 }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return status
}

@Suite("The seed's 192.168.1.0/24 pool in a private network namespace", .timeLimit(.minutes(1)))
struct PrivateNamespaceTests {
    @Test(
        "TCP server, chosen-source client and UDP on the seed's literal pool, on a private lo",
        .enabled(if: runsHere(privateNetworkNamespacesWork), "creating a network namespace is not permitted here"))
    func seedPoolInPrivateNamespace() throws {
        try #require(
            privateNetworkNamespacesWork,
            "strict mode: `unshare -n ip link set lo up` failed (no ip or unshare, or no permission): the seed's pool was not tested")
        // One thread moves into a new network namespace (unshare affects only the calling
        // thread) where 192.168.1.0/24 is local on lo; nothing leaves that namespace.
        let run = Background { () throws -> [String] in
            guard unshareNetworkNamespace() == 0 else {
                return ["unshare(CLONE_NEWNET): \(String(cString: strerror(errno)))"]
            }
            guard runIP(["link", "set", "lo", "up"]) == 0,
                runIP(["route", "add", "local", "192.168.1.0/24", "dev", "lo"]) == 0
            else { return ["ip could not configure the namespace"] }

            var log: [String] = []
            let pool = IPPool(name: "my-pool")
            try pool.addCIDRRange("192.168.1.0/24")
            let serverIP = try pool.allocate(
                subinstance: "instance-01", resource: "my-service", type: .custom("socket"))
            let clientIP = try pool.allocate(subinstance: "instance-01", resource: "client", type: .custom("socket"))

            let server = try Socket.tcpV4()
            try server.bind(with: try #require(pool.binding(for: serverIP)), port: 8080)
            try server.listen(backlog: 100)
            let client = try Socket.tcpV4()
            try client.bind(to: clientIP, port: 0)
            try client.connect(to: SocketAddress(host: serverIP.description, port: 8080))
            let connection = try server.accept()
            #expect(connection.remoteAddress?.ip == clientIP)
            try client.send("GET / HTTP/1.1\r\n\r\n")
            #expect(try connection.recv(maxLength: 4096) == Array("GET / HTTP/1.1\r\n\r\n".utf8))
            try connection.send("Response")
            #expect(try client.recv(maxLength: 4096) == Array("Response".utf8))
            log.append("tcp \(client.localAddress!) -> \(server.localAddress!)")

            let udpA = try Socket.udpV4()
            try udpA.bind(to: serverIP, port: 9000)
            let udpB = try Socket.udpV4()
            try udpB.bind(to: clientIP, port: 9001)
            try udpA.send("Hello", to: SocketAddress(host: clientIP.description, port: 9001))
            let (data, sender) = try udpB.recvFrom(maxLength: 1024)
            #expect(data == Array("Hello".utf8) && sender == SocketAddress(ip: serverIP, port: 9000))
            log.append("udp \(sender) -> \(udpB.localAddress!)")
            for socket in [connection, client, server, udpA, udpB] { try socket.close() }
            return log
        }
        let log = try run.value()
        #expect(log.count == 2, "\(log)")
        #expect(log.first?.hasPrefix("tcp 192.168.1.") == true)
    }
}
