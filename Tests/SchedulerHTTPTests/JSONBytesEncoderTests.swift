import Foundation
@testable import SchedulerHTTP
import Testing

/// `JSONBytesEncoder` against Foundation's `JSONEncoder` (`[.sortedKeys, .withoutEscapingSlashes]`):
/// the same bytes, or the same error, for every value.
@Suite("JSON bytes encoder against JSONEncoder", .timeLimit(.minutes(2)))
struct JSONBytesEncoderTests {
    static let reference: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// Our bytes or error text, and Foundation's; `onePass` says whether ours must come from the
    /// one-pass writer (true) or must have been handed to JSONEncoder (false).
    static func both<Value: Encodable>(_ value: Value, onePass: Bool = true, sourceLocation: SourceLocation = #_sourceLocation)
        -> (ours: String, foundation: String)
    {
        #expect((JSONBytesEncoder.onePass(value) != nil) == onePass, sourceLocation: sourceLocation)
        let ours: String
        do { ours = String(decoding: try JSONBytesEncoder().encode(value), as: UTF8.self) } catch { ours = "error: \(error)" }
        let theirs: String
        do { theirs = String(decoding: try reference.encode(value), as: UTF8.self) } catch { theirs = "error: \(error)" }
        return (ours, theirs)
    }

    struct Greeting: Codable { let message: String }
    struct Nested: Codable {
        let zeta: Int
        let alpha: [String: [Double]]
        let optional: String?
        let present: Bool?
        let inner: [Greeting]
        let date: Date
        let data: Data
        let url: URL
        let decimal: Decimal
    }
    enum Shape: Codable {
        case circle(radius: Double)
        case box(width: Int, height: Int, label: String?)
        case empty
    }
    struct Empty: Encodable { func encode(to encoder: any Encoder) throws {} }
    class Base: Encodable { var base = 1 }
    final class Derived: Base {
        var own = "x"
        override func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: AnyKey.self)
            try super.encode(to: container.superEncoder())
            try container.encode(own, forKey: AnyKey("own"))
        }
    }
    /// Keys out of order, a key twice (the last value wins), a nested container written after its
    /// parent went on (not one pass: handed to JSONEncoder).
    struct Unruly: Encodable {
        let interleave: Bool
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: AnyKey.self)
            try container.encode(1, forKey: AnyKey("b"))
            var nested = container.nestedUnkeyedContainer(forKey: AnyKey("list"))
            try nested.encode("first")
            try container.encode(2, forKey: AnyKey("a"))
            try container.encode(3, forKey: AnyKey("b"))
            if interleave { try nested.encode("late") }
        }
    }

    @Test("same bytes as JSONEncoder for structs, enums, optionals, special types, numbers and strings")
    func sameBytes() throws {
        let nested = Nested(
            zeta: -42, alpha: ["b": [1.5, -0.0, 1e20, 1e-7], "a": [], "é": [0.1], "B": [123456789]], optional: nil,
            present: false, inner: [Greeting(message: "hi"), Greeting(message: "")],
            date: Date(timeIntervalSinceReferenceDate: 12.25), data: Data([0, 1, 254, 255]),
            url: URL(string: "https://example.invalid/a/b?c=d")!, decimal: Decimal(string: "-12.50")!)
        var control = ""
        for scalar in 0..<0x80 { control.unicodeScalars.append(Unicode.Scalar(UInt8(scalar))) }
        let cases: [(String, String)] = [
            Self.both(Greeting(message: "Hello, World!")),
            Self.both(nested),
            Self.both([Shape.circle(radius: 2), .box(width: 3, height: 4, label: nil), .box(width: 0, height: 0, label: "l"), .empty]),
            Self.both([control, "\u{2028}\u{7f}é😀", "a/b", "\"quoted\" \\ back"]),
            Self.both([Int.min, Int.max, 0, 7, -7]),
            Self.both([UInt64.max, 10, 9]),
            Self.both([Int8.min, Int8.max]),
            Self.both([Float(0.1), 1, 3e10, -0.5]),
            Self.both([Double.leastNonzeroMagnitude, .greatestFiniteMagnitude, 100, 0.1 + 0.2]),
            Self.both([1: "one", 20: "twenty", 3: "three"]),
            Self.both(["k": [Empty()]]),
            Self.both([String?.none, "x"]),
            Self.both(String?.none),
            Self.both("top-level string"),
            Self.both(true),
            Self.both([[[[Int]]]]([[[[1], []], []]])),
            Self.both(Unruly(interleave: false)),
            Self.both(Derived(), onePass: false),
            Self.both(["key\"quoted": 1, "tab\tkey": 2], onePass: false),
        ]
        for (ours, theirs) in cases { #expect(ours == theirs) }
    }

    @Test("the same error as JSONEncoder: a non-finite number, a top-level value that encoded nothing")
    func sameErrors() {
        for (ours, theirs) in [Self.both([1, Double.nan], onePass: false), Self.both(["x": Float.infinity], onePass: false), Self.both(Empty(), onePass: false)] {
            #expect(ours.hasPrefix("error: "))
            #expect(ours == theirs)
        }
    }

    @Test("a nested container written after its parent went on gives JSONEncoder's answer")
    func interleavedContainersHandedOver() {
        let (ours, theirs) = Self.both(Unruly(interleave: true), onePass: false)
        #expect(ours == theirs)
        #expect(ours.contains("late"))
    }

    @Test("encodes running on several threads at once share no writer state")
    func concurrentEncodes() async {
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for task in 0..<4 {
                group.addTask {
                    var random = SplitMix(seed: UInt64(task) + 1)
                    var mismatches = 0
                    for _ in 0..<500 {
                        let tree = Tree.random(&random, depth: 3)
                        let ours = try? JSONBytesEncoder().encode(tree)
                        if ours != (try? Array(Self.reference.encode(tree))) { mismatches += 1 }
                    }
                    return mismatches
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }

    @Test("random trees of objects (keys in any order, repeated), arrays and scalars")
    func randomTrees() {
        var random = SplitMix(seed: 0x5EED)
        for _ in 0..<2000 {
            let tree = Tree.random(&random, depth: 4)
            let (ours, theirs) = Self.both(tree)
            #expect(ours == theirs)
            if ours != theirs { break }
        }
    }
}

/// A key made from any string.
struct AnyKey: CodingKey {
    let stringValue: String
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
    var intValue: Int? { nil }
}

/// A random JSON-like value; objects encode members in their given order (duplicates included)
/// and arrays sometimes through a nested container.
indirect enum Tree: Encodable {
    case object([(String, Tree)], nestedArrays: Bool)
    case array([Tree])
    case string(String)
    case integer(Int)
    case double(Double)
    case bool(Bool)
    case null

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .object(let members, let nestedArrays):
            var container = encoder.container(keyedBy: AnyKey.self)
            for (key, value) in members {
                if nestedArrays, case .array(let elements) = value {
                    var nested = container.nestedUnkeyedContainer(forKey: AnyKey(key))
                    for element in elements { try nested.encode(element) }
                } else {
                    try container.encode(value, forKey: AnyKey(key))
                }
            }
        case .array(let elements):
            var container = encoder.unkeyedContainer()
            for element in elements { try container.encode(element) }
        case .string(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .integer(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .double(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .bool(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        }
    }

    static func random(_ random: inout SplitMix, depth: Int) -> Tree {
        let pick = random.next() % (depth > 0 ? 7 : 5)
        switch pick {
        case 0: return .string(randomText(&random))
        case 1: return .integer(Int(bitPattern: UInt(random.next())) >> Int(random.next() % 64))
        case 2: return .double(Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF) * (random.next() % 2 == 0 ? 1 : -1))
        case 3: return .bool(random.next() % 2 == 0)
        case 4: return .null
        case 5:
            return .array((0..<Int(random.next() % 5)).map { _ in Tree.random(&random, depth: depth - 1) })
        default:
            let keys = ["a", "b", "B", "ab", "a1", "é", "", "zz", "10", "9"]
            var members = (0..<Int(random.next() % 6)).map { _ in
                (keys[Int(random.next() % UInt64(keys.count))], Tree.random(&random, depth: depth - 1))
            }
            // JSONEncoder traps on a nested container under a key already used: unique keys there.
            let nestedArrays = random.next() % 2 == 0
            if nestedArrays {
                var seen = Set<String>()
                members = members.filter { seen.insert($0.0).inserted }
            }
            return .object(members, nestedArrays: nestedArrays)
        }
    }

    static func randomText(_ random: inout SplitMix) -> String {
        let pieces = ["a", "/", "\"", "\\", "\n", "\u{1}", "\u{1f}", "é", "😀", " ", "\u{7f}"]
        return (0..<Int(random.next() % 6)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }.joined()
    }
}

/// A small seeded generator (SplitMix64), so a failing tree can be found again.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
