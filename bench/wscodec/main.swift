// `make bench-ws-codec`: the WebSocket frame codec's masking and UTF-8 validation in GB/s,
// each beside peers measured in the same run (a byte-at-a-time XOR loop; for UTF-8 the pure
// Swift validator UTF8Validator was before its C core, and the standard library's
// `String(validating:as:)`), reported as ratios. Each C kernel is also shown on its own.
import CSchedulerUTF8
import SchedulerHTTP

@inline(never)
func byteWiseMask(_ buffer: UnsafeMutableRawBufferPointer, _ key: [UInt8]) {
    for index in 0..<buffer.count { buffer[index] ^= key[index & 3] }
}

func measure(_ name: String, bytes: Int, rounds: Int, _ body: () -> Void) -> Double {
    body()
    let clock = ContinuousClock()
    var best = Double.infinity
    for _ in 0..<5 {
        let elapsed = clock.measure { for _ in 0..<rounds { body() } }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        best = min(best, seconds)
    }
    let rate = Double(bytes * rounds) / best / 1e9
    print("\(name.padding(toLength: 52, withPad: " ", startingAt: 0)) \(String(format3(rate))) GB/s")
    return rate
}

func format3(_ value: Double) -> String {
    let scaled = (value * 1000).rounded() / 1000
    return "\(scaled)"
}

let size = 1 << 20
let rounds = 200
var payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
let key: (UInt8, UInt8, UInt8, UInt8) = (0x37, 0xFA, 0x21, 0x3D)
let keyBytes: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]

print("1 MiB buffers, best of 5 runs of \(rounds)")
let ours = payload.withUnsafeMutableBytes { raw in
    measure("mask: WebSocketMasking (8 bytes at a time)", bytes: size, rounds: rounds) {
        WebSocketMasking.apply(key, to: raw)
    }
}
let peer = payload.withUnsafeMutableBytes { raw in
    measure("mask: byte-wise loop (peer)", bytes: size, rounds: rounds) { byteWiseMask(raw, keyBytes) }
}
print("mask ratio: \(format3(ours / peer))x")

let kernelNames = [
    CSCHED_UTF8_KERNEL_SCALAR: "scalar", CSCHED_UTF8_KERNEL_SSSE3: "SSSE3", CSCHED_UTF8_KERNEL_AVX2: "AVX2",
]
print("UTF8Validator's C kernel on this CPU: \(kernelNames[csched_utf8_kernel(UInt32(csched_utf8_best_kernel()))]!)")
let ascii = [UInt8](repeating: UInt8(ascii: "a"), count: size)
let mixed = Array(String(repeating: "WebSocket κόσμε 𝄞 текст ", count: size / 40).utf8)
let cyrillic = Array(
    String(repeating: "Съешь же ещё этих мягких французских булок, да выпей чаю. ", count: size / 104).utf8)
let emoji = Array(String(repeating: "😀🎉👍🏽𝄞", count: size / 20).utf8)
var sink = 0
var worst = Double.infinity
for (label, text) in [("ASCII", ascii), ("mixed UTF-8", mixed), ("Cyrillic", cyrillic), ("4-byte emoji", emoji)] {
    precondition(String(validating: text, as: UTF8.self) != nil)
    let validator = text.withUnsafeBytes { raw in
        measure("utf8 \(label): UTF8Validator", bytes: text.count, rounds: rounds) {
            var validator = UTF8Validator()
            if validator.validate(raw) && validator.isComplete { sink &+= 1 }
        }
    }
    worst = min(worst, validator)
    for kernel in [CSCHED_UTF8_KERNEL_SCALAR, CSCHED_UTF8_KERNEL_SSSE3, CSCHED_UTF8_KERNEL_AVX2] {
        let supported = text.withUnsafeBufferPointer {
            csched_utf8_check_with(Int32(kernel.rawValue), $0.baseAddress, 0)
        }
        if supported == -2 { continue }
        _ = text.withUnsafeBufferPointer { buffer in
            measure("utf8 \(label): C kernel \(kernelNames[kernel]!)", bytes: text.count, rounds: rounds) {
                sink &+= csched_utf8_check_with(Int32(kernel.rawValue), buffer.baseAddress, buffer.count)
            }
        }
    }
    let scalar = text.withUnsafeBytes { raw in
        measure("utf8 \(label): Swift scalar validator (peer)", bytes: text.count, rounds: rounds) {
            var validator = SwiftScalarUTF8Validator()
            if validator.validate(raw) && validator.isComplete { sink &+= 1 }
        }
    }
    let standard = measure("utf8 \(label): String(validating:) (peer)", bytes: text.count, rounds: rounds) {
        if let string = String(validating: text, as: UTF8.self) { sink &+= string.utf8.count }
    }
    print(
        "utf8 \(label) ratio: \(format3(validator / scalar))x the Swift scalar validator, \(format3(validator / standard))x String(validating:)"
    )
}

// Small messages: 64-byte texts one validator each, as a server sees them.
let small = Array(mixed[0..<64])
let pieces = 16384
let smallOurs = small.withUnsafeBytes { raw in
    measure("utf8 64-byte texts: UTF8Validator", bytes: 64 * pieces, rounds: 20) {
        for _ in 0..<pieces {
            var validator = UTF8Validator()
            if validator.validate(raw) { sink &+= 1 }
        }
    }
}
let smallPeer = small.withUnsafeBytes { raw in
    measure("utf8 64-byte texts: Swift scalar validator (peer)", bytes: 64 * pieces, rounds: 20) {
        for _ in 0..<pieces {
            var validator = SwiftScalarUTF8Validator()
            if validator.validate(raw) { sink &+= 1 }
        }
    }
}
print("utf8 64-byte texts ratio: \(format3(smallOurs / smallPeer))x the Swift scalar validator")
print(
    "utf8: slowest 1 MiB text through UTF8Validator \(format3(worst)) GB/s, target >= 2 GB/s: \(worst >= 2 ? "met" : "NOT met")"
)
if sink == 42 { print("") }
