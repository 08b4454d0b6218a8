import Testing

@testable import SchedulerHTTP

/// The WebSocket receiver reads untrusted bytes as they arrive: random frame streams, valid and
/// mutated, plain and permessage-deflate, read as whole messages or as chunks, must give the
/// same events and the same error whether they arrive whole or split at random places, and never
/// crash. (A fixed seed per case, so a failure names what to replay.)
@Suite struct WebSocketReceiverSplitTests {
    /// Every combination of (client role, compressed, chunks).
    static let combinations = [false, true].flatMap { client in
        [false, true].flatMap { compressed in [false, true].map { (client, compressed, $0) } }
    }

    @Test(arguments: combinations)
    func splitStreamsReadAsWholeOnes(client: Bool, compressed: Bool, chunks: Bool) throws {
        let role: WebSocket.Role = client ? .client : .server
        for index in 0..<400 {
            let seed = UInt64(index) | (compressed ? 1 << 40 : 0) | (chunks ? 1 << 41 : 0) | (client ? 1 << 42 : 0)
            var random = SplitMix(seed: seed)
            var stream = try Self.frames(&random, compressed: compressed, masked: role == .server)
            let mutated = random.below(2) == 0
            if mutated { Self.mutate(&stream, &random) }
            let whole = try Self.read([stream], role: role, compressed: compressed, chunks: chunks)
            var pieces: [[UInt8]] = []
            var at = 0
            while at < stream.count {
                let size = min(stream.count - at, 1 + random.below(random.below(2) == 0 ? 4 : 64))
                pieces.append(Array(stream[at..<(at + size)]))
                at += size
            }
            let split = try Self.read(pieces, role: role, compressed: compressed, chunks: chunks)
            #expect(split == whole, "seed \(seed), \(stream.count) bytes in \(pieces.count) pieces")
            // The generator's own streams are valid: every one of them is read without an error.
            if !mutated { #expect(!(whole.last ?? "").hasPrefix("error"), "seed \(seed): \(whole)") }
        }
    }

    /// The agreement both sides use when `compressed` (context kept across messages).
    static let agreement = DeflateAgreement(resetCompressor: false, compressWindowBits: 15, decompressWindowBits: 15)

    /// What a receiver in `role` makes of `pieces` given one after another: its events (in
    /// chunks mode each message once it is complete, its chunks joined), then the error it threw
    /// or how many bytes it still waits on.
    static func read(_ pieces: [[UInt8]], role: WebSocket.Role, compressed: Bool, chunks: Bool) throws -> [String] {
        var receiver = WebSocketReceiver(
            role: role, configuration: WebSocketConfiguration(maxMessageSize: 4096, maxFrameSize: 1024),
            deflater: compressed ? try MessageDeflater(agreement, settings: WebSocketCompression()) : nil, buffered: [])
        var outcome: [String] = []
        var partial: [UInt8] = []
        var partialStarted = false
        for piece in pieces {
            piece.withUnsafeBytes { receiver.append(bytes: $0) }
            do {
                while let event = try receiver.next(chunks ? .chunks : .messages) {
                    switch event {
                    case .message(let message): outcome.append("message \(message)")
                    case .chunk(let chunk):
                        // A message's chunks: the first says so, the others do not.
                        if chunk.isFirst == partialStarted { outcome.append("chunk out of order") }
                        partialStarted = true
                        partial += chunk.bytes
                        if chunk.isFinal {
                            outcome.append("message \(chunk.kind) \(partial)")
                            partial = []
                            partialStarted = false
                        }
                    case .ping(let payload): outcome.append("ping \(payload)")
                    case .pong: outcome.append("pong")
                    case .close(let code, let reason):
                        outcome.append("close \(String(describing: code)) \(reason)")
                        return outcome
                    }
                }
            } catch {
                // The close code the peer gets. (Not the reason: a corrupt compressed message read
                // as chunks can show as output that is not UTF-8 before zlib finds the bad stream,
                // where read whole it fails in zlib first; both are 1007.)
                outcome.append("error \(error.code)")
                return outcome
            }
        }
        outcome.append("waiting with \(receiver.bufferedCount) bytes")
        return outcome
    }

    /// A few messages as a client (`masked`) or a server sends them, compressed when `compressed`: text with
    /// multi-byte characters and binary, some fragmented, pings and pongs between fragments,
    /// sometimes a close at the end.
    static func frames(_ random: inout SplitMix, compressed: Bool, masked: Bool) throws -> [UInt8] {
        var wire: [UInt8] = []
        let deflater = compressed ? try MessageDeflater(agreement, settings: WebSocketCompression()) : nil
        let alphabet: [String] = ["a", "Z", " ", "é", "€", "𝄞", "\n", "0"]
        for _ in 0..<(1 + random.below(4)) {
            let isText = random.below(2) == 0
            let payload: [UInt8] =
                isText
                ? Array((0..<random.below(200)).map { _ in alphabet[random.below(alphabet.count)] }.joined().utf8)
                : (0..<random.below(300)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let sent =
                try deflater.map { deflater in try payload.withUnsafeBytes { try deflater.compress($0) } } ?? payload
            let fragments = 1 + random.below(3)
            var cuts = (0..<(fragments - 1)).map { _ in random.below(sent.count + 1) }.sorted()
            cuts.append(sent.count)
            var from = 0
            for (index, cut) in cuts.enumerated() {
                let opcode: WebSocketOpcode = index == 0 ? (isText ? .text : .binary) : .continuation
                wire += WebSocketFrameHeader.frame(
                    opcode, Array(sent[from..<cut]), fin: index == cuts.count - 1, rsv1: compressed && index == 0,
                    maskKey: masked ? key(&random) : nil)
                from = cut
                if random.below(4) == 0 {
                    let control: WebSocketOpcode = random.below(2) == 0 ? .ping : .pong
                    let bytes = (0..<random.below(20)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                    wire += WebSocketFrameHeader.frame(control, bytes, maskKey: masked ? key(&random) : nil)
                }
            }
        }
        if random.below(3) == 0 {
            let bye: [UInt8] = [0x03, 0xE8] + Array("bye".utf8)
            wire += WebSocketFrameHeader.frame(.close, bye, maskKey: masked ? key(&random) : nil)
        }
        return wire
    }

    static func key(_ random: inout SplitMix) -> (UInt8, UInt8, UInt8, UInt8) {
        let word = random.next()
        return (UInt8(truncatingIfNeeded: word), UInt8(truncatingIfNeeded: word >> 8),
                UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 24))
    }

    /// One to three byte changes, a cut, or bytes put in.
    static func mutate(_ wire: inout [UInt8], _ random: inout SplitMix) {
        guard !wire.isEmpty else { return }
        switch random.below(3) {
        case 0:
            for _ in 0..<(1 + random.below(3)) {
                wire[random.below(wire.count)] = UInt8(truncatingIfNeeded: random.next())
            }
        case 1:
            wire.removeLast(random.below(wire.count))
        default:
            let bytes = (0..<(1 + random.below(8))).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            wire.insert(contentsOf: bytes, at: random.below(wire.count + 1))
        }
    }
}

extension SplitMix {
    /// A number in `0..<bound` (0 when `bound` is 0).
    mutating func below(_ bound: Int) -> Int { bound <= 0 ? 0 : Int(next() % UInt64(bound)) }
}
