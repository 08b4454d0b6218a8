// json-bench: JSONBytesEncoder against Foundation's JSONEncoder (same output format: sorted keys,
// slashes not escaped) on the same values in the same run, interleaved. `make bench-json`; prints
// ns per encode for each and the ratio. The encoded bytes are compared once before timing.
import Foundation
import SchedulerHTTP

struct Greeting: Encodable { let message: String }
struct Address: Encodable { let street: String; let city: String; let zip: String }
struct User: Encodable {
    let id: Int
    let name: String
    let email: String
    let active: Bool
    let score: Double
    let tags: [String]
    let address: Address
    let manager: Int?
}

func nanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// The best of `rounds` timings of `count` encodes, in ns per encode.
func measure(count: Int, rounds: Int, _ encode: () throws -> [UInt8]) rethrows -> Double {
    var best = Double.infinity
    var checksum = 0
    for _ in 0..<rounds {
        let start = nanoseconds()
        for _ in 0..<count { checksum &+= try encode().count }
        best = min(best, Double(nanoseconds() - start) / Double(count))
    }
    if checksum == 42 { print("") }
    return best
}

let users = (0..<100).map { index in
    User(
        id: index, name: "User \(index)", email: "user\(index)@example.invalid", active: index % 3 != 0,
        score: Double(index) * 1.25, tags: ["a", "b/c", "tenant-\(index % 7)"],
        address: Address(street: "\(index) Main St", city: "Springfield", zip: "0\(index)"),
        manager: index % 4 == 0 ? nil : index / 4)
}
let foundation = JSONEncoder()
foundation.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
let ours = JSONBytesEncoder()
let count = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 200_000

func row(_ name: String, _ value: some Encodable, count: Int) throws {
    let (mine, reference) = (try ours.encode(value), Array(try foundation.encode(value)))
    precondition(mine == reference, "outputs differ for \(name)")
    var oursTimes: [Double] = []
    var theirTimes: [Double] = []
    for _ in 0..<3 {
        oursTimes.append(try measure(count: count, rounds: 3) { try ours.encode(value) })
        theirTimes.append(try measure(count: count, rounds: 3) { Array(try foundation.encode(value)) })
    }
    let best = oursTimes.min()!
    let theirs = theirTimes.min()!
    let speedup = (theirs / best * 100).rounded() / 100
    print("\(name.padding(toLength: 26, withPad: " ", startingAt: 0)) \(String(Int(best)).padding(toLength: 16, withPad: " ", startingAt: 0)) \(String(Int(theirs)).padding(toLength: 12, withPad: " ", startingAt: 0)) \(speedup)x")
}

// `json-bench COUNT user` encodes the User value with JSONBytesEncoder only (for a profiler).
if CommandLine.arguments.count > 2 {
    print(measure(count: count, rounds: 10) { try! ours.encode(users[1]) })
    exit(0)
}
print("value                      JSONBytesEncoder JSONEncoder  speed-up (ns per encode, best of 9)")
try row("Greeting (/json)", Greeting(message: "Hello, World!"), count: count)
try row("User (8 fields, nested)", users[1], count: count / 4)
try row("[User] x 100", users, count: count / 200)
