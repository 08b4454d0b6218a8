import Testing

@testable import SchedulerHTTP

/// The frame codec without sockets: heads, masking, UTF-8, the handshake key, extension offers.
@Suite struct WebSocketCodecTests {
    @Test func headsRoundTripAtEveryLengthEncoding() throws {
        for length in [0, 1, 125, 126, 65535, 65536, 1 << 33] {
            for key in [nil, (UInt8(1), UInt8(2), UInt8(3), UInt8(4))] as [(UInt8, UInt8, UInt8, UInt8)?] {
                let header = WebSocketFrameHeader(
                    fin: length % 2 == 0, rsv1: true, opcode: .binary, length: length, maskKey: key)
                var wire: [UInt8] = []
                header.encode(into: &wire)
                #expect(wire.count == header.headerLength)
                let parsed = try wire.withUnsafeBytes { try WebSocketFrameHeader.parse($0) }
                #expect(parsed == header)
                // Every strict prefix asks for more bytes.
                for cut in 0..<wire.count {
                    let partial = try Array(wire[..<cut]).withUnsafeBytes { try WebSocketFrameHeader.parse($0) }
                    #expect(partial == nil)
                }
            }
        }
    }

    @Test func rfcExampleFramesParse() throws {
        // RFC 6455 §5.7: a masked "Hello" and an unmasked one.
        var masked: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58]
        let header = try #require(try masked.withUnsafeBytes { try WebSocketFrameHeader.parse($0) })
        #expect(header.opcode == .text && header.fin && header.length == 5 && header.headerLength == 6)
        WebSocketMasking.apply(header.maskKey!, to: &masked, range: 6..<11)
        #expect(Array(masked[6...]) == Array("Hello".utf8))
        #expect(WebSocketFrameHeader.frame(.text, Array("Hello".utf8)) == [0x81, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F])
        #expect(
            WebSocketFrameHeader.frame(.text, Array("Hello".utf8), maskKey: (0x37, 0xFA, 0x21, 0x3D))
                == [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
    }

    @Test func aLengthWithItsTopBitSetIsAProtocolError() {
        let wire: [UInt8] = [0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1]
        #expect(throws: WebSocketError.protocolError("a frame length with its most significant bit set")) {
            try wire.withUnsafeBytes { try WebSocketFrameHeader.parse($0) }
        }
    }

    @Test func wordWiseMaskingMatchesByteWiseAtEveryLengthAndPhase() {
        let key: (UInt8, UInt8, UInt8, UInt8) = (0xA1, 0x5C, 0x03, 0xFF)
        let keyBytes: [UInt8] = [0xA1, 0x5C, 0x03, 0xFF]
        for length in 0..<80 {
            for phase in 0..<4 {
                let original = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 13) }
                var fast = original
                fast.withUnsafeMutableBytes { WebSocketMasking.apply(key, to: $0, phase: phase) }
                let slow = original.enumerated().map { $0.element ^ keyBytes[($0.offset + phase) % 4] }
                #expect(fast == slow, "length \(length) phase \(phase)")
            }
        }
    }

    @Test func theValidatorAgreesWithTheStandardLibraryPieceByPiece() {
        var generator = SystemRandomNumberGenerator()
        let samples: [[UInt8]] =
            [
                Array("plain ascii that is longer than sixteen bytes".utf8), Array("κόσμε 𝄞 € \u{10FFFF}".utf8),
                [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xC0, 0x80], [0xC1, 0xBF],
                [0xF5, 0x80, 0x80, 0x80],
                [0xF0, 0x8F, 0xBF, 0xBF], [0xF4, 0x8F, 0xBF, 0xBF], [0xE0, 0x9F, 0xBF], [0x80], [0xE2, 0x82],
            ]
            + (0..<300).map { _ in
                (0..<Int.random(in: 0...40, using: &generator)).map { _ in
                    // Mostly bytes near the interesting boundaries.
                    [0x41, 0x7F, 0x80, 0xBF, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0x9F, 0xA0, 0x8F, 0x90]
                        .randomElement(using: &generator)!
                }
            }
        for bytes in samples {
            let expected = String(validating: bytes, as: UTF8.self) != nil
            var whole = UTF8Validator()
            #expect((whole.validate(bytes) && whole.isComplete) == expected, "\(bytes)")
            for split in 0...bytes.count {
                var pieces = UTF8Validator()
                let valid =
                    pieces.validate(Array(bytes[..<split])) && pieces.validate(Array(bytes[split...]))
                    && pieces.isComplete
                #expect(valid == expected, "\(bytes) split at \(split)")
            }
        }
    }

    @Test func theAcceptKeyIsRFCs() {
        #expect(WebSocketAccept.value(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        #expect(
            SHA1.hash(Array("abc".utf8)) == [
                0xA9, 0x99, 0x3E, 0x36, 0x47, 0x06, 0x81, 0x6A, 0xBA, 0x3E, 0x25, 0x71, 0x78, 0x50, 0xC2, 0x6C, 0x9C,
                0xD0, 0xD8, 0x9D,
            ])
        #expect(Base64.encode(SHA1.hash([])) == "2jmj7l5rSw0yVb/vlWAYkK/YBwk=")
        #expect(Base64.decodedCount(WebSocketAccept.randomKey()) == 16)
        #expect(Base64.decodedCount("abc") == nil)
    }

    @Test(
        arguments: [
            ("permessage-deflate", "permessage-deflate", 15),
            ("permessage-deflate; client_max_window_bits", "permessage-deflate", 15),
            ("permessage-deflate; server_max_window_bits=10", "permessage-deflate; server_max_window_bits=10", 10),
            (
                "permessage-deflate; server_max_window_bits=\"12\"; client_no_context_takeover",
                "permessage-deflate; client_no_context_takeover; server_max_window_bits=12", 12
            ),
            ("permessage-deflate; server_max_window_bits=8, permessage-deflate", "permessage-deflate", 15),
            (
                "permessage-deflate; foo=1, permessage-deflate; server_no_context_takeover",
                "permessage-deflate; server_no_context_takeover", 15
            ),
            ("permessage-deflate; server_max_window_bits=16", nil, 0),
            ("permessage-deflate; server_no_context_takeover; server_no_context_takeover", nil, 0),
            ("x-webkit-deflate-frame", nil, 0),
        ] as [(String, String?, Int)])
    func serverNegotiation(offer: String, answer: String?, bits: Int) {
        let result = DeflateAgreement.serverAccept(offers: offer, WebSocketCompression())
        #expect(result?.1 == answer)
        if let result { #expect(result.0.compressWindowBits == bits) }
    }

    @Test func clientReadsTheServersAnswer() throws {
        let agreement = try DeflateAgreement.clientAccept(
            response: "permessage-deflate; client_max_window_bits=10; client_no_context_takeover",
            WebSocketCompression())
        #expect(agreement.compressWindowBits == 10 && agreement.resetCompressor)
        #expect(throws: WebSocketError.self) {
            try DeflateAgreement.clientAccept(
                response: "permessage-deflate; client_max_window_bits=8", WebSocketCompression())
        }
        #expect(throws: WebSocketError.self) {
            try DeflateAgreement.clientAccept(response: "permessage-deflate; mystery", WebSocketCompression())
        }
    }

    @Test func compressedMessagesRoundTripWithAndWithoutContext() throws {
        for reset in [false, true] {
            let agreement = DeflateAgreement(resetCompressor: reset, compressWindowBits: 15, decompressWindowBits: 15)
            let sender = try MessageDeflater(agreement, settings: WebSocketCompression())
            let receiver = try MessageDeflater(agreement, settings: WebSocketCompression())
            var sizes: [Int] = []
            for round in 0..<3 {
                let message = Array("the same sentence again and again, round \(round % 1)".utf8)
                let compressed = try message.withUnsafeBytes { try sender.compress($0) }
                sizes.append(compressed.count)
                #expect(try receiver.decompress([compressed], limit: 1000) == message)
            }
            // An empty message right after another: zlib has nothing to flush, and the message
            // must still be one the receiver inflates (then the stream goes on intact).
            for message in [[], Array("after empty".utf8)] as [[UInt8]] {
                let compressed = try message.withUnsafeBytes { try sender.compress($0) }
                #expect(!compressed.isEmpty)
                #expect(try receiver.decompress([compressed], limit: 1000) == message)
            }
            // With context kept, a repeated message costs a few bytes the second time.
            #expect(reset ? sizes[1] == sizes[0] : sizes[1] < sizes[0] / 2, "\(sizes)")
        }
    }

    @Test func theAgreedWindowBoundsBackReferences() throws {
        // 2,000 random bytes twice: a 32 KiB window finds the repeat, a 1 KiB window cannot.
        var generator = SystemRandomNumberGenerator()
        let block = (0..<2000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let message = block + block
        var sizes: [Int: Int] = [:]
        for bits in [10, 15] {
            let agreement = DeflateAgreement(resetCompressor: true, compressWindowBits: bits, decompressWindowBits: 15)
            let deflater = try MessageDeflater(agreement, settings: WebSocketCompression())
            let compressed = try message.withUnsafeBytes { try deflater.compress($0) }
            sizes[bits] = compressed.count
            #expect(try deflater.decompress([compressed], limit: 10_000) == message)
        }
        #expect(sizes[15]! < 2200 && sizes[10]! > 3900, "\(sizes)")
    }
}
