/// The bounds an `HTTPRequestParser` or `HTTPResponseParser` enforces on what it is fed.
public struct HTTPParserLimits: Sendable, Equatable {
    /// The most bytes a head may take, from its first byte to the end of its empty line (64 KiB).
    /// Beyond it the parser throws `headTooLarge` (a server answers 431). Trailers share this bound.
    /// At most 2 GiB - 1 (offsets in a head are 32-bit): `init` lowers a larger value to that.
    public var maxHeadBytes: Int

    /// The most field lines a head (or a trailer section) may hold (100): the next one throws
    /// `tooManyFields` (431).
    public var maxFieldCount: Int

    /// The longest request target accepted (8 KiB); a longer one throws `targetTooLong` (414).
    public var maxTargetLength: Int

    /// The most hexadecimal digits a chunk size may have, leading zeros included (16).
    public var maxChunkSizeDigits: Int

    /// The longest chunk-size line, extensions included, before its line end (4 KiB).
    public var maxChunkLineLength: Int

    /// Limits with every bound given; the defaults are those HTTP.md names for the server.
    public init(
        maxHeadBytes: Int = 64 * 1024, maxFieldCount: Int = 100, maxTargetLength: Int = 8 * 1024,
        maxChunkSizeDigits: Int = 16, maxChunkLineLength: Int = 4 * 1024
    ) {
        self.maxHeadBytes = min(max(16, maxHeadBytes), Int(Int32.max))  // offsets are 32-bit
        self.maxFieldCount = max(0, maxFieldCount)
        self.maxTargetLength = max(1, maxTargetLength)
        self.maxChunkSizeDigits = min(max(1, maxChunkSizeDigits), 16)
        self.maxChunkLineLength = max(8, maxChunkLineLength)
    }

    /// The defaults: 64 KiB of head, 100 fields, 8 KiB of target, 16 chunk-size digits.
    public static let `default` = HTTPParserLimits()
}
