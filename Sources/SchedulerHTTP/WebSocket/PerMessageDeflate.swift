/// permessage-deflate settings (RFC 7692): whether to offer or accept it, and its limits.
///
/// Memory per connection with compression agreed: zlib's deflate state is about
/// `(1 << (windowBits + 2)) + (1 << (memoryLevel + 9))` bytes plus 6 KiB, inflate's
/// `1 << windowBits` plus 7 KiB, and two 16 KiB scratch buffers: measured 332 KiB at the
/// defaults (window 15, memory level 8) and 48 KiB at window 9, memory level 1
/// (`WebSocketCompressionMemoryTests`). Smaller windows and memory levels trade ratio for memory.
public struct WebSocketCompression: Sendable, Equatable {
    /// The largest window this side compresses with (9 to 15; the peer may ask for less).
    public var maxWindowBits: Int
    /// zlib's memory level for compressing (1 to 9).
    public var memoryLevel: Int
    /// Start every outgoing message with an empty window (less memory kept between messages:
    /// the compressor is reset, so its state is still allocated but holds nothing).
    public var noContextTakeover: Bool
    /// zlib's compression level (0 to 9, -1 for zlib's default).
    public var level: Int
    /// Messages shorter than this go out uncompressed (RSV1 clear).
    public var minimumSize: Int

    /// Windows of 15 bits, memory level 8, context kept, zlib's default level, every message compressed.
    public init(
        maxWindowBits: Int = 15, memoryLevel: Int = 8, noContextTakeover: Bool = false, level: Int = -1,
        minimumSize: Int = 0
    ) {
        self.maxWindowBits = max(9, min(15, maxWindowBits))
        self.memoryLevel = max(1, min(9, memoryLevel))
        self.noContextTakeover = noContextTakeover
        self.level = level
        self.minimumSize = minimumSize
    }
}

/// What the two sides agreed on for one connection.
struct DeflateAgreement: Sendable, Equatable {
    /// Whether this side resets its compressor after each message.
    var resetCompressor: Bool
    /// The window this side compresses with.
    var compressWindowBits: Int
    /// The window this side decompresses with (15 takes anything a peer may send).
    var decompressWindowBits: Int

    /// The server's answer to the client's `Sec-WebSocket-Extensions` offers: the agreement and
    /// the response header value, or nil when no offer is acceptable.
    static func serverAccept(offers header: String, _ settings: WebSocketCompression) -> (DeflateAgreement, String)? {
        for offer in ExtensionOffer.parse(header) where offer.name == "permessage-deflate" {
            var seen = Set<String>()
            var serverNoContext = false
            var clientNoContext = false
            var serverBits: Int?
            var clientBitsOffered = false
            var acceptable = true
            for (name, value) in offer.parameters {
                guard seen.insert(name).inserted else {
                    acceptable = false
                    break
                }
                switch name {
                case "server_no_context_takeover":
                    acceptable = value == nil
                    serverNoContext = true
                case "client_no_context_takeover":
                    acceptable = value == nil
                    clientNoContext = true
                case "server_max_window_bits":
                    guard let value, let bits = Self.windowBits(value) else {
                        acceptable = false
                        break
                    }
                    serverBits = bits
                case "client_max_window_bits":
                    if let value { acceptable = Self.windowBits(value) != nil }
                    clientBitsOffered = true
                default:
                    acceptable = false
                }
                if !acceptable { break }
            }
            // zlib cannot compress with a 256-byte window (it uses 512): decline such an offer.
            if !acceptable || serverBits == 8 { continue }
            let bits = min(serverBits ?? 15, settings.maxWindowBits)
            let reset = serverNoContext || settings.noContextTakeover
            var response = "permessage-deflate"
            if reset { response += "; server_no_context_takeover" }
            if clientNoContext { response += "; client_no_context_takeover" }
            if bits < 15 { response += "; server_max_window_bits=\(bits)" }
            var inflateBits = 15
            if clientBitsOffered && settings.maxWindowBits < 15 {
                // Ask the client for a window no larger than ours, to bound our inflate memory.
                inflateBits = settings.maxWindowBits
                response += "; client_max_window_bits=\(inflateBits)"
            }
            return (
                DeflateAgreement(resetCompressor: reset, compressWindowBits: bits, decompressWindowBits: inflateBits),
                response
            )
        }
        return nil
    }

    /// The client's offer for its settings.
    static func clientOffer(_ settings: WebSocketCompression) -> String {
        var offer = "permessage-deflate; client_max_window_bits"
        if settings.noContextTakeover { offer += "; client_no_context_takeover" }
        return offer
    }

    /// The client's reading of the server's answer; throws when it is not one a client may accept.
    static func clientAccept(response header: String, _ settings: WebSocketCompression) throws(WebSocketError)
        -> DeflateAgreement
    {
        let offers = ExtensionOffer.parse(header)
        guard offers.count == 1, offers[0].name == "permessage-deflate" else {
            throw .protocolError("the server answered with extensions not offered: \(header)")
        }
        var agreement = DeflateAgreement(
            resetCompressor: settings.noContextTakeover, compressWindowBits: settings.maxWindowBits,
            decompressWindowBits: 15)
        var seen = Set<String>()
        for (name, value) in offers[0].parameters {
            guard seen.insert(name).inserted else { throw .protocolError("permessage-deflate parameter \(name) twice") }
            switch name {
            case "server_no_context_takeover" where value == nil:
                break
            case "client_no_context_takeover" where value == nil:
                agreement.resetCompressor = true
            case "server_max_window_bits":
                guard let value, let bits = windowBits(value) else {
                    throw .protocolError("bad server_max_window_bits in \(header)")
                }
                agreement.decompressWindowBits = bits
            case "client_max_window_bits":
                guard let value, let bits = windowBits(value), bits > 8 else {
                    throw .protocolError("client_max_window_bits the client cannot honour in \(header)")
                }
                agreement.compressWindowBits = min(agreement.compressWindowBits, bits)
            default:
                throw .protocolError("unknown permessage-deflate parameter in \(header)")
            }
        }
        // A raw inflater with a larger window reads any smaller one's output.
        agreement.decompressWindowBits = 15
        return agreement
    }

    private static func windowBits(_ text: Substring) -> Int? {
        let trimmed =
            text.hasPrefix("\"") && text.hasSuffix("\"") && text.count >= 2 ? text.dropFirst().dropLast() : text
        guard trimmed.count <= 2, trimmed.allSatisfy({ $0.isASCII && $0.isNumber }), let bits = Int(trimmed),
            (8...15).contains(bits)
        else { return nil }
        return bits
    }
}

/// One extension offer of a `Sec-WebSocket-Extensions` value: a name and its parameters.
struct ExtensionOffer {
    var name: Substring
    var parameters: [(String, Substring?)]

    static func parse(_ header: String) -> [ExtensionOffer] {
        header.split(separator: ",").map { offer in
            let parts = offer.split(separator: ";").map { $0.trimmingSpaces }
            let parameters = parts.dropFirst().map { part -> (String, Substring?) in
                let pair = part.split(separator: "=", maxSplits: 1)
                return (String(pair[0].trimmingSpaces), pair.count > 1 ? pair[1].trimmingSpaces : nil)
            }
            return ExtensionOffer(name: parts.first ?? "", parameters: parameters)
        }
    }
}

extension Substring {
    var trimmingSpaces: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text.removeFirst() }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
