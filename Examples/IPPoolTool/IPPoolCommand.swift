import ArgumentParser
import Foundation
import SchedulerPool
import SchedulerPoolPostgres

/// `ippool`: operate IP pools, durable local ones (`--dir`) and ones shared by many hosts in
/// PostgreSQL (`--database`). Every error is one line on stderr and a non-zero exit status:
/// 1 the pool refused the operation, 2 bad input, 3 the database failed, 64 a usage error.
@main
struct IPPoolCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ippool", abstract: "Operate IP pools: durable local ones (--dir) and shared ones (--database).",
        subcommands: [
            Create.self, AddRange.self, Allocate.self, Release.self, Show.self, List.self, Stats.self,
            Reconcile.self,
        ])

    static func main() async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            let (message, status) = describe(error)
            if status == 0 {
                print(message)
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data(("ippool: " + message + "\n").utf8))
            Foundation.exit(status)
        }
    }

    /// One line and an exit status for every error.
    static func describe(_ error: Error) -> (String, Int32) {
        switch error {
        case let error as SharedPoolError:
            if case .pool(let poolError) = error { return (poolError.description, 1) }
            if case .unknownPool = error { return (error.description, 1) }
            if case .invalidConfiguration = error { return (error.description, 2) }
            return (error.description, 3)
        case let error as IPPoolError:
            if case .storage = error { return (error.description, 3) }
            if case .corruptStorage = error { return (error.description, 3) }
            return (error.description, 1)
        case ToolError.noPool(let message): return (message, 1)
        case ToolError.badInput(let message): return (message, 2)
        default:
            let code = exitCode(for: error).rawValue
            if code == 0 { return (fullMessage(for: error), 0) }
            let message = message(for: error).split(separator: "\n").first.map(String.init) ?? "error"
            return (message.replacingOccurrences(of: "Error: ", with: ""), code == 1 ? 64 : code)
        }
    }
}

struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create the pool (a no-op when it exists).")
    @OptionGroup var location: PoolLocation
    @Option(help: "Block size for IPv4 ranges of a shared pool (prefix length).") var blockV4 = 26
    @Option(help: "Block size for IPv6 ranges of a shared pool (prefix length).") var blockV6 = 122
    @Option(help: "Seconds a released address of a shared pool stays quarantined.") var quarantine: Double = 0

    func run() async throws {
        let backend = try await location.open(
            create: true, blockPrefixV4: blockV4, blockPrefixV6: blockV6, quarantine: quarantine)
        await backend.close()
        if location.json {
            Output.json(["pool": location.pool, "created": "true"])
        } else {
            print("pool \(location.pool) ready")
        }
    }
}

struct AddRange: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add-range", abstract: "Add a CIDR range.")
    @OptionGroup var location: PoolLocation
    @Argument(help: "The range, such as 10.0.0.0/16 or fd00::/64.") var cidr: String

    func run() async throws {
        try await location.with { try await $0.addRange(cidr) }
        if location.json {
            Output.json(["pool": location.pool, "range": cidr])
        } else {
            print("range \(cidr) in pool \(location.pool)")
        }
    }
}

struct Allocate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Allocate an address to an owner (idempotent).")
    @OptionGroup var location: PoolLocation
    @Option var subinstance: String
    @Option var resource: String
    @Option(help: "vm, container or custom:NAME (vm:LABEL and container:LABEL too).") var type = "vm"
    @Option(help: "This address rather than the lowest free one.") var ip: String?

    func run() async throws {
        let type = try parseType(self.type)
        let ip = try self.ip.map(parseAddress)
        let row = try await location.with {
            try await $0.allocate(subinstance: subinstance, resource: resource, type: type, ip: ip)
        }
        Output.bindings([row], json: location.json)
    }
}

struct Release: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Release an owner's address (or --ip IP).")
    @OptionGroup var location: PoolLocation
    @Option var subinstance: String?
    @Option var resource: String?
    @Option var ip: String?

    func validate() throws {
        if (ip == nil) == (subinstance == nil && resource == nil)
            || (ip == nil && (subinstance == nil || resource == nil))
        {
            throw ValidationError("give --subinstance S --resource R, or --ip IP")
        }
    }

    func run() async throws {
        let address = try ip.map(parseAddress)
        let row = try await location.with { backend in
            if let address { return try await backend.release(address) }
            return try await backend.release(subinstance: subinstance!, resource: resource!)
        }
        Output.bindings([row], json: location.json)
    }
}

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show who holds an address.")
    @OptionGroup var location: PoolLocation
    @Argument var ip: String

    func run() async throws {
        let address = try parseAddress(ip)
        guard let row = try await location.with({ try await $0.show(address) }) else {
            throw IPPoolError.unknownBinding(address)
        }
        Output.bindings([row], json: location.json)
    }
}

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List bindings, ordered by address.")
    @OptionGroup var location: PoolLocation
    @Option var subinstance: String?

    func run() async throws {
        let rows = try await location.with { try await $0.list(subinstance: subinstance) }
        Output.bindings(rows, json: location.json)
    }
}

struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Address counts per range.")
    @OptionGroup var location: PoolLocation

    func run() async throws {
        let report = try await location.with { try await $0.stats() }
        if location.json { return Output.json(report) }
        Output.table(
            ["RANGE", "TOTAL", "ALLOCATED", "FREE"],
            report.ranges.map { [$0.range, $0.total, $0.allocated, $0.free] } + [
                ["all", report.total, report.allocated, report.free]
            ])
        var extra: [String] = []
        if let claimed = report.claimedBlocks { extra.append("blocks claimed: \(claimed)") }
        if let expired = report.expiredBlocks { extra.append("expired leases: \(expired)") }
        if let quarantined = report.quarantined { extra.append("quarantined: \(quarantined)") }
        if !extra.isEmpty { print(extra.joined(separator: ", ")) }
    }
}

struct Reconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Release every binding whose subinstance is not listed in --live-file (one name a line).")
    @OptionGroup var location: PoolLocation
    @Option(help: "File of live subinstance names, one a line (# comments and blank lines ignored).") var liveFile:
        String

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: liveFile) else {
            throw ToolError.badInput("cannot read live file " + liveFile)
        }
        let live = Set(
            String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") })
        let released = try await location.with { try await $0.reconcile(liveOwners: live) }
        if location.json { return Output.json(released) }
        Output.bindings(released, json: false)
        print("released \(released.count)")
    }
}
