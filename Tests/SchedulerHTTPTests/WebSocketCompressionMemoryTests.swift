import CZlib
import Testing

@testable import SchedulerHTTP

/// What permessage-deflate costs per connection: zlib's own allocations for both streams
/// (counted by the C shim's allocator) after one message each way, plus the two 16 KiB
/// scratch buffers of `MessageDeflater`.
@Suite struct WebSocketCompressionMemoryTests {
    static func heapBytesPerConnection(_ settings: WebSocketCompression, windowBits: Int) throws -> Int {
        let agreement = DeflateAgreement(
            resetCompressor: settings.noContextTakeover, compressWindowBits: windowBits,
            decompressWindowBits: windowBits)
        let message = Array(String(repeating: "a message to compress ", count: 50).utf8)
        let count = 50
        var deflaters: [MessageDeflater] = []
        deflaters.reserveCapacity(count)
        let before = czlib_counted_bytes()
        for _ in 0..<count {
            let deflater = try MessageDeflater(agreement, settings: settings)
            // One message each way, so that lazily allocated windows exist too.
            let compressed = try message.withUnsafeBytes { try deflater.compress($0) }
            _ = try deflater.decompress([compressed], limit: 1 << 20)
            deflaters.append(deflater)
        }
        let after = czlib_counted_bytes()
        withExtendedLifetime(deflaters) {}
        return Int(after - before) / count + 2 * (16 << 10)
    }

    @Test func perConnectionCostIsWhatTheDocumentationStates() throws {
        let defaults = try Self.heapBytesPerConnection(WebSocketCompression(), windowBits: 15)
        let small = try Self.heapBytesPerConnection(
            WebSocketCompression(maxWindowBits: 9, memoryLevel: 1), windowBits: 9)
        print(
            "permessage-deflate heap per connection: \(defaults / 1024) KiB at window 15 / memory level 8, \(small / 1024) KiB at 9 / 1"
        )
        // zlib's formula: deflate (1 << (w + 2)) + (1 << (m + 9)) + ~6 KiB, inflate (1 << w) + ~7 KiB, plus our two 16 KiB scratch buffers.
        #expect(defaults > 256 << 10 && defaults < 360 << 10, "\(defaults)")
        #expect(small < 64 << 10, "\(small)")
    }
}
