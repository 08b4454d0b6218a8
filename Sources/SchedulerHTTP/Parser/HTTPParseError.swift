/// Why a message was rejected and at which byte: thrown by the HTTP parsers.
///
/// `offset` counts bytes from the first byte the parser was ever fed (for the one-call
/// `parse` forms: from the start of the bytes given), and points at the first byte that made
/// the message invalid (for limits: the first byte over the limit).
public struct HTTPParseError: Error, Sendable, Equatable, Hashable, CustomStringConvertible {
    /// What was wrong.
    public enum Kind: String, Sendable, Equatable, Hashable, CaseIterable {
        /// The method is not a token (RFC 9110 §9.1), or is empty.
        case invalidMethod
        /// The request target holds a byte outside visible ASCII (control, DEL, non-ASCII) or is empty.
        case invalidTarget
        /// The request target is longer than `maxTargetLength` (a server answers 414).
        case targetTooLong
        /// The version is not `HTTP/DIGIT.DIGIT`, or the start line has stray bytes around it.
        case invalidVersion
        /// A well-formed version other than HTTP/1.x (HTTP/2.0, HTTP/0.9, ...): 505 or 400.
        case unsupportedVersion
        /// The request line is not `method SP target SP version` (a missing or extra space).
        case invalidRequestLine
        /// The status line is not `HTTP/1.x SP 3DIGIT [SP reason]`.
        case invalidStatusLine
        /// A CR not followed by LF.
        case bareCR
        /// NUL, another control character or DEL where the grammar allows none.
        case controlCharacter
        /// A line starting with space or tab (obsolete line folding, or whitespace after the start line).
        case obsFold
        /// Space or tab between a field name and its colon.
        case whitespaceBeforeColon
        /// A field name that is empty or holds a byte that is not a token character.
        case invalidFieldName
        /// A field line without a colon.
        case missingColon
        /// The head is longer than `maxHeadBytes` (a server answers 431).
        case headTooLarge
        /// More field lines than `maxFieldCount` (a server answers 431).
        case tooManyFields
        /// An HTTP/1.1 request without a Host field.
        case missingHost
        /// A request with more than one Host field.
        case duplicateHost
        /// A Content-Length that is not a decimal number, or too large for `Int`.
        case invalidContentLength
        /// Content-Length fields (or list members) with different values.
        case conflictingContentLength
        /// Both Content-Length and Transfer-Encoding.
        case contentLengthWithTransferEncoding
        /// A Transfer-Encoding whose last coding is not `chunked`, that repeats `chunked`,
        /// is empty, malformed, or appears in an HTTP/1.0 message.
        case invalidTransferEncoding
        /// A well-formed Transfer-Encoding ending in `chunked` with another coding before it
        /// (gzip, ...), which this parser does not decode: a server answers 501.
        case unsupportedTransferCoding
        /// A chunk size that is empty, not hexadecimal, or longer than `maxChunkSizeDigits`.
        case invalidChunkSize
        /// A chunk size larger than `Int.max`.
        case chunkSizeOverflow
        /// A chunk extension that breaks RFC 9112 §7.1.1, or a chunk line over `maxChunkLineLength`.
        case invalidChunkExtension
        /// Chunk data not followed by a line end.
        case invalidChunkTerminator
        /// The input ended (`finish()`) inside a message.
        case unexpectedEnd
    }

    /// What was wrong.
    public var kind: Kind
    /// The byte offset of the first offending byte, counted from the start of the parser's input.
    public var offset: Int

    /// An error of `kind` at `offset`.
    public init(_ kind: Kind, at offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    /// The status a server answers with: 431, 414, 501, 505 or 400.
    public var status: Int {
        switch kind {
        case .headTooLarge, .tooManyFields: 431
        case .targetTooLong: 414
        case .unsupportedTransferCoding: 501
        case .unsupportedVersion: 505
        default: 400
        }
    }

    /// A short English account of the error, e.g. `bare CR at byte 17`.
    public var description: String { "\(Self.text(kind)) at byte \(offset)" }

    static func text(_ kind: Kind) -> String {
        switch kind {
        case .invalidMethod: "invalid method"
        case .invalidTarget: "invalid byte in request target"
        case .targetTooLong: "request target too long"
        case .invalidVersion: "invalid HTTP version"
        case .unsupportedVersion: "unsupported HTTP version"
        case .invalidRequestLine: "malformed request line"
        case .invalidStatusLine: "malformed status line"
        case .bareCR: "bare CR"
        case .controlCharacter: "control character in head"
        case .obsFold: "obsolete line folding"
        case .whitespaceBeforeColon: "whitespace before colon"
        case .invalidFieldName: "invalid field name"
        case .missingColon: "field line without colon"
        case .headTooLarge: "head too large"
        case .tooManyFields: "too many header fields"
        case .missingHost: "HTTP/1.1 request without Host"
        case .duplicateHost: "more than one Host"
        case .invalidContentLength: "invalid Content-Length"
        case .conflictingContentLength: "conflicting Content-Length values"
        case .contentLengthWithTransferEncoding: "both Content-Length and Transfer-Encoding"
        case .invalidTransferEncoding: "invalid Transfer-Encoding"
        case .unsupportedTransferCoding: "unsupported transfer coding"
        case .invalidChunkSize: "invalid chunk size"
        case .chunkSizeOverflow: "chunk size overflow"
        case .invalidChunkExtension: "invalid chunk extension"
        case .invalidChunkTerminator: "chunk data not followed by CRLF"
        case .unexpectedEnd: "input ended inside a message"
        }
    }
}
