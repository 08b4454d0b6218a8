import CSchedulerUTF8
import Foundation
import Testing

@testable import SchedulerHTTP

/// UTF-8 validation of text messages: every kernel of CSchedulerUTF8 (scalar, SSSE3, AVX2 where
/// the CPU has them) and UTF8Validator on top, against the standard library's validator.
@Suite struct UTF8ValidationTests {
    /// The kernels this CPU runs (a kernel it lacks answers -2).
    static let kernels: [Int32] = [
        Int32(CSCHED_UTF8_KERNEL_SCALAR.rawValue), Int32(CSCHED_UTF8_KERNEL_SSSE3.rawValue),
        Int32(CSCHED_UTF8_KERNEL_AVX2.rawValue),
    ].filter { kernel in [UInt8]().withUnsafeBufferPointer { csched_utf8_check_with(kernel, $0.baseAddress, 0) } != -2 }

    /// Well-formed sequences at the edges of Unicode's table 3-7.
    static let valid: [[UInt8]] = [
        [0x00], [0x7F], [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xE0, 0xBF, 0xBF], [0xE1, 0x80, 0x80],
        [0xEC, 0xBF, 0xBF], [0xED, 0x80, 0x80], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80], [0xEF, 0xBF, 0xBF],
        [0xF0, 0x90, 0x80, 0x80], [0xF0, 0xBF, 0xBF, 0xBF], [0xF1, 0x80, 0x80, 0x80], [0xF3, 0xBF, 0xBF, 0xBF],
        [0xF4, 0x80, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF], Array("κόσμε 𝄞 € текст \u{10FFFF}".utf8),
    ]

    /// Ill-formed ones: overlongs, surrogates, beyond U+10FFFF, stray and missing continuation
    /// bytes, bytes that never appear, and characters cut short.
    static let invalid: [[UInt8]] = [
        [0x80], [0xBF], [0x80, 0x80], [0xC0, 0x80], [0xC1, 0xBF], [0xC0, 0xAF], [0xE0, 0x80, 0x80],
        [0xE0, 0x9F, 0xBF], [0xF0, 0x80, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF], [0xED, 0xA0, 0x80],
        [0xED, 0xAF, 0xBF], [0xED, 0xB0, 0x80], [0xED, 0xBF, 0xBF], [0xED, 0xA0, 0x80, 0xED, 0xB0, 0x80],
        [0xF4, 0x90, 0x80, 0x80], [0xF4, 0xBF, 0xBF, 0xBF], [0xF5, 0x80, 0x80, 0x80], [0xF7, 0xBF, 0xBF, 0xBF],
        [0xF8, 0x88, 0x80, 0x80, 0x80], [0xFC, 0x84, 0x80, 0x80, 0x80, 0x80], [0xFE], [0xFF],
        [0xC2], [0xC2, 0x41], [0xE1, 0x80], [0xE1, 0x80, 0x41], [0xE1, 0x41, 0x80], [0xF1, 0x80, 0x80],
        [0xF1, 0x80, 0x80, 0x41], [0xF1, 0x80], [0xF1], [0xC2, 0x80, 0x80], [0xE1, 0x80, 0x80, 0x80],
        [0xF1, 0x80, 0x80, 0x80, 0x80], [0x41, 0x80], [0xC2, 0xC2, 0x80], [0xE1, 0xC2, 0x80],
    ]

    static func reference(_ bytes: [UInt8]) -> Bool { String(validating: bytes, as: UTF8.self) != nil }

    /// Whether a kernel finds the bytes to be a complete UTF-8 text (nothing left open).
    static func kernelAccepts(_ kernel: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { csched_utf8_check_with(kernel, $0.baseAddress, $0.count) } == 0
    }

    /// Whether UTF8Validator accepts the bytes as one whole text.
    static func validatorAccepts(_ bytes: [UInt8]) -> Bool {
        var validator = UTF8Validator()
        return validator.validate(bytes) && validator.isComplete
    }

    /// Whether UTF8Validator accepts the bytes given in pieces cut at `cuts`.
    static func validatorAccepts(_ bytes: [UInt8], cutAt cuts: [Int]) -> Bool {
        var validator = UTF8Validator()
        var start = 0
        for cut in cuts + [bytes.count] {
            guard validator.validate(Array(bytes[start..<cut])) else { return false }
            start = cut
        }
        return validator.isComplete
    }

    @Test func theReferenceAgreesWithTheTables() {
        for bytes in Self.valid { #expect(Self.reference(bytes), "\(bytes)") }
        for bytes in Self.invalid { #expect(!Self.reference(bytes), "\(bytes)") }
    }

    @Test func thisCPUsBestKernelIsUsed() throws {
        #expect(Self.kernels.contains(Int32(CSCHED_UTF8_KERNEL_SCALAR.rawValue)))
        #if arch(x86_64)
            let flags = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
            if flags.contains(" avx2") {
                #expect(csched_utf8_best_kernel() == Int32(CSCHED_UTF8_KERNEL_AVX2.rawValue))
                #expect(Self.kernels.count == 3)
            }
        #endif
    }

    @Test func everyTableSequenceAloneAndSplitAtEveryByte() {
        for (bytes, expected) in Self.valid.map({ ($0, true) }) + Self.invalid.map({ ($0, false) }) {
            for kernel in Self.kernels {
                #expect(Self.kernelAccepts(kernel, bytes) == expected, "kernel \(kernel) \(bytes)")
            }
            #expect(Self.validatorAccepts(bytes) == expected, "\(bytes)")
            for cut in 0...bytes.count {
                #expect(Self.validatorAccepts(bytes, cutAt: [cut]) == expected, "\(bytes) cut at \(cut)")
            }
        }
    }

    /// Each table sequence at every position of a longer text, so that it lands across the
    /// kernels' 16-, 32- and 64-byte registers and blocks, amid ASCII and amid other characters.
    @Test func everyTableSequenceAtEveryPositionNearBlockBoundaries() {
        let fillers: [[UInt8]] = [
            [UInt8](repeating: 0x61, count: 140),
            Array(String(repeating: "aé€𝄞", count: 20).utf8),
        ]
        for filler in fillers {
            for (sequence, expected) in Self.valid.map({ ($0, true) }) + Self.invalid.map({ ($0, false) }) {
                // Positions on character boundaries of the filler only, so the filler stays valid.
                let boundaries = (0...filler.count).filter { $0 == filler.count || filler[$0] & 0xC0 != 0x80 }
                for position in boundaries where position <= 135 {
                    let bytes = Array(filler[..<position]) + sequence + Array(filler[position...])
                    #expect(Self.reference(bytes) == expected)
                    for kernel in Self.kernels {
                        #expect(
                            Self.kernelAccepts(kernel, bytes) == expected, "kernel \(kernel) \(sequence) at \(position)"
                        )
                    }
                    #expect(Self.validatorAccepts(bytes) == expected, "\(sequence) at \(position)")
                }
            }
        }
    }

    /// One bad byte at every position of long texts, ending exactly at, before and after the
    /// 16/32/64-byte boundaries (31, 32, 33, 63, 64, 65, ...).
    @Test func oneBadByteAtEveryPositionOfLongTexts() {
        for length in [15, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64, 65, 127, 128, 129, 191, 192, 193, 255, 256, 257] {
            let ascii = [UInt8](repeating: 0x78, count: length)
            #expect(Self.validatorAccepts(ascii))
            for bad: UInt8 in [0x80, 0xC0, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF] {
                for position in 0..<length {
                    var bytes = ascii
                    bytes[position] = bad
                    for kernel in Self.kernels {
                        #expect(
                            !Self.kernelAccepts(kernel, bytes), "kernel \(kernel) \(bad) at \(position) of \(length)")
                    }
                    #expect(!Self.validatorAccepts(bytes), "\(bad) at \(position) of \(length)")
                }
            }
        }
    }

    /// A text cut at every byte: the prefix is a valid but unfinished piece when the cut falls
    /// inside a character, and the two halves always make up the whole.
    @Test func textsCutAtEveryByte() {
        let text = Array(String(repeating: "WebSocket κόσμε 𝄞 текст € ", count: 6).utf8)
        for cut in 0...text.count {
            let prefix = Array(text[..<cut])
            let onBoundary = Self.reference(prefix)
            for kernel in Self.kernels {
                #expect(Self.kernelAccepts(kernel, prefix) == onBoundary, "kernel \(kernel) cut at \(cut)")
            }
            var validator = UTF8Validator()
            let prefixValid = validator.validate(prefix)
            #expect(prefixValid, "cut at \(cut)")
            #expect(validator.isComplete == onBoundary, "cut at \(cut)")
            #expect(validator.validate(Array(text[cut...])) && validator.isComplete, "cut at \(cut)")
        }
    }

    /// Random mostly-valid texts with a few bytes changed, whole and in two or three pieces,
    /// against the standard library.
    @Test func randomTextsAgreeWithTheStandardLibrary() {
        var generator = SystemRandomNumberGenerator()
        let characters = ["a", "Z", " ", "é", "ß", "€", "ह", "𝄞", "😀", "\u{7F}", "\u{10FFFF}", "\u{D7FF}", "\u{E000}"]
        let interesting: [UInt8] = [
            0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5,
            0xFF,
        ]
        for _ in 0..<1500 {
            var bytes: [UInt8] = []
            let target = Int.random(in: 0...300, using: &generator)
            while bytes.count < target { bytes += Array(characters.randomElement(using: &generator)!.utf8) }
            for _ in 0..<Int.random(in: 0...2, using: &generator) where !bytes.isEmpty {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] =
                    Bool.random(using: &generator)
                    ? interesting.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
            }
            let expected = Self.reference(bytes)
            for kernel in Self.kernels {
                #expect(Self.kernelAccepts(kernel, bytes) == expected, "kernel \(kernel) \(bytes)")
            }
            #expect(Self.validatorAccepts(bytes) == expected, "\(bytes)")
            let cuts = (0..<2).map { _ in Int.random(in: 0...bytes.count, using: &generator) }.sorted()
            #expect(Self.validatorAccepts(bytes, cutAt: cuts) == expected, "\(bytes) cut at \(cuts)")
        }
    }
}
