import Foundation
import SchedulerPool
import SchedulerPoolPostgres
import Testing

extension SharedPoolTests {
    /// Passwords stay out of every message; an unreachable or silent server fails within the timeout.
    @Suite struct SharedPoolFailureTests {
        @Test func descriptionsMaskPasswords() throws {
            #expect(
                DatabaseTarget("postgresql://ipam:s3cret@db.example:5432/ipam").description
                    == "postgresql://ipam:***@db.example:5432/ipam")
            #expect(
                DatabaseTarget("postgres://u:p%40ss@h/db?sslmode=require&password=two").description
                    == "postgres://u:***@h/db?sslmode=require&password=***")
            #expect(
                DatabaseTarget("host=h user=u password=s3cret dbname=d").description
                    == "host=h user=u password=*** dbname=d")
            #expect(DatabaseTarget("postgresql://u@h/db").description == "postgresql://u@h/db")
        }

        @Test func refusedConnectionIsTypedAndSecretFree() async throws {
            // A loopback port nobody listens on (bound, then closed).
            let port = try freePort()
            var options = SharedPoolOptions(host: "h")
            options.timeout = .seconds(2)
            let started = ContinuousClock.now
            let result = await outcome { () async throws(SharedPoolError) in
                try await SharedIPPool.open(
                    name: "p", database: DatabaseTarget("postgresql://u:s3cret@127.0.0.1:\(port)/db"), options: options)
            }
            guard case .failure(let error) = result, case .unreachable(let database, _) = error else {
                Issue.record("expected .unreachable, got \(result)")
                return
            }
            #expect(database == "postgresql://u:***@127.0.0.1:\(port)/db")
            #expect(!error.description.contains("s3cret"))
            #expect(started.duration(to: .now) < .seconds(2))
        }

        @Test func silentServerTimesOut() async throws {
            // A listener that accepts (the kernel does, from its backlog) and never answers.
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            listen(fd, 8)
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            let port = UInt16(bigEndian: address.sin_port)
            var options = SharedPoolOptions(host: "h")
            options.timeout = .milliseconds(500)
            let started = ContinuousClock.now
            let result = await outcome { () async throws(SharedPoolError) in
                try await SharedIPPool.open(
                    name: "p", database: DatabaseTarget("postgresql://u@127.0.0.1:\(port)/db"), options: options)
            }
            let elapsed = started.duration(to: .now)
            guard case .failure(.timedOut(_, let database, let milliseconds)) = result else {
                Issue.record("expected .timedOut, got \(result)")
                return
            }
            #expect(database == "postgresql://u@127.0.0.1:\(port)/db" && milliseconds == 500)
            #expect(elapsed >= .milliseconds(450) && elapsed < .seconds(2), "\(elapsed)")
        }

        @Test func openingAMissingPoolIsTyped() async throws {
            let name = PostgresFixture.uniqueName("missing")
            let result = await outcome { () async throws(SharedPoolError) in
                try await SharedIPPool.open(
                    name: name, database: PostgresFixture.target, options: PostgresFixture.options("h"))
            }
            guard case .failure(.unknownPool(let missing)) = result else {
                Issue.record("expected .unknownPool, got \(result)")
                return
            }
            #expect(missing == name)
        }

        @Test func malformedInputChangesNothing() async throws {
            let name = PostgresFixture.uniqueName("bad")
            let pool = try await SharedIPPool.create(
                name: name, database: PostgresFixture.target, options: PostgresFixture.options("h"))
            let result = await outcome { () async throws(SharedPoolError) in try await pool.addCIDRRange("10.0.0.1/24")
            }
            guard case .failure(.pool(.malformedRange)) = result else {
                Issue.record("expected .malformedRange, got \(result)")
                return
            }
            #expect(try await pool.ranges().isEmpty)
            // Owner names with quotes, commas and backslashes travel through the array parameters intact.
            try await pool.addCIDRRange("10.9.0.0/29")
            let odd = "a\"b,c\\d{e}"
            let ip = try await pool.allocate(subinstance: odd, resource: "r'1", type: .custom("x y"))
            #expect(try await pool.binding(subinstance: odd, resource: "r'1")?.ip == ip)
            await pool.shutdown()
        }
    }
}

/// A loopback TCP port that was free a moment ago.
func freePort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    _ = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return UInt16(bigEndian: address.sin_port)
}

extension SharedPoolTests {
    /// A role that must log in with a password (tools/pg_cluster.sh: ipam / ipam-test-password, scram).
    @Suite struct SharedPoolPasswordTests {
        static let password = "ipam-test-password"

        /// The cluster's URL for role ipam and its database ipam_auth, with `password` in it if given.
        static func url(password: String? = nil) -> String {
            let user = password.map { "ipam:" + $0 } ?? "ipam"
            return (PostgresFixture.url ?? "").replacingOccurrences(of: "postgres@", with: user + "@")
                .replacingOccurrences(of: "/ippool", with: "/ipam_auth")
        }

        @Test func wrongPasswordIsRefusedWithoutPrintingIt() async throws {
            let wrong = "not-the-password-77"
            let result = await outcome { () async throws(SharedPoolError) in
                try await SharedIPPool.create(
                    name: "auth", database: DatabaseTarget(Self.url(password: wrong)), options: PostgresFixture.options("h"))
            }
            guard case .failure(let error) = result, case .unreachable(_, let reason) = error else {
                Issue.record("expected .unreachable, got \(result)")
                return
            }
            #expect(reason.contains("password authentication failed"), "\(reason)")
            #expect(!error.description.contains(wrong) && !"\(error)".contains(wrong))
        }

        @Test func passwordFromFileAndFromEnvironment() async throws {
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("pw-\(getpid())").path
            try (Self.password + "\n").write(toFile: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let name = PostgresFixture.uniqueName("auth")
            let pool = try await SharedIPPool.create(
                name: name, database: try DatabaseTarget(Self.url(), passwordFile: file), options: PostgresFixture.options("h"))
            try await pool.addCIDRRange("10.70.0.0/24")
            #expect(try await pool.allocate(subinstance: "s", resource: "r", type: .vm("x")) == IPAddress("10.70.0.1"))
            await pool.shutdown()
            // Without one in the target, libpq takes PGPASSWORD.
            setenv("PGPASSWORD", Self.password, 1)
            defer { unsetenv("PGPASSWORD") }
            let again = try await SharedIPPool.open(name: name, database: DatabaseTarget(Self.url()), options: PostgresFixture.options("h"))
            #expect(try await again.binding(subinstance: "s", resource: "r")?.ip == IPAddress("10.70.0.1"))
            await again.shutdown()
        }
    }
}
