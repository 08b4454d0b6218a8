// `make bench-ws-codec`: the WebSocket frame codec's masking and UTF-8 validation in GB/s,
// each beside a peer measured in the same run (a byte-at-a-time XOR loop; the standard
// library's `String(validating:as:)`), reported as ratios.
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
    print("\(name.padding(toLength: 44, withPad: " ", startingAt: 0)) \(String(format3(rate))) GB/s")
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

let ascii = [UInt8](repeating: UInt8(ascii: "a"), count: size)
let mixed = Array(String(repeating: "WebSocket κόσμε 𝄞 текст ", count: size / 40).utf8)
var sink = 0
for (label, text) in [("ASCII", ascii), ("mixed UTF-8", mixed)] {
    let validator = text.withUnsafeBytes { raw in
        measure("utf8 \(label): UTF8Validator", bytes: text.count, rounds: rounds) {
            var validator = UTF8Validator()
            if validator.validate(raw) && validator.isComplete { sink &+= 1 }
        }
    }
    let standard = measure("utf8 \(label): String(validating:) (peer)", bytes: text.count, rounds: rounds) {
        if let string = String(validating: text, as: UTF8.self) { sink &+= string.utf8.count }
    }
    print("utf8 \(label) ratio: \(format3(validator / standard))x")
}
if sink == 42 { print("") }
