/// A number of addresses, exact up to and beyond 2^128 (an IPv6 /0 holds 2^128 addresses,
/// one more than `UInt128.max`), stored as a 192-bit unsigned integer.
public struct AddressCount: Sendable, Hashable {
    /// The bits above the low 128 (1 for exactly 2^128).
    public let high: UInt64
    /// The low 128 bits.
    public let low: UInt128

    /// A count from its high and low parts: `high * 2^128 + low`.
    public init(high: UInt64, low: UInt128) {
        self.high = high
        self.low = low
    }

    /// A count that fits in 128 bits.
    public init(_ value: UInt128) {
        self.init(high: 0, low: value)
    }

    /// 2 to the power `exponent` (0...128): the size of a network with `bitWidth - prefix` host bits.
    public static func powerOfTwo(_ exponent: Int) -> AddressCount {
        precondition(exponent >= 0 && exponent <= 128, "powerOfTwo exponent out of 0...128")
        return exponent == 128 ? AddressCount(high: 1, low: 0) : AddressCount(UInt128(1) << UInt128(exponent))
    }

    /// The count as `UInt128`, or `nil` when it is 2^128 or more.
    public var uint128Value: UInt128? { high == 0 ? low : nil }

    /// The count as `Int`, or `nil` when it does not fit.
    public var intValue: Int? {
        guard high == 0, low <= UInt128(Int.max) else { return nil }
        return Int(low)
    }

    /// The sum; traps on overflow beyond 192 bits, which no set of networks reaches.
    public static func + (lhs: AddressCount, rhs: AddressCount) -> AddressCount {
        let (low, carry) = lhs.low.addingReportingOverflow(rhs.low)
        return AddressCount(high: lhs.high + rhs.high + (carry ? 1 : 0), low: low)
    }

    /// The difference; traps when `rhs` is larger than `lhs`.
    public static func - (lhs: AddressCount, rhs: AddressCount) -> AddressCount {
        let (low, borrow) = lhs.low.subtractingReportingOverflow(rhs.low)
        return AddressCount(high: lhs.high - rhs.high - (borrow ? 1 : 0), low: low)
    }
}

extension AddressCount: Comparable {
    /// Numeric order.
    public static func < (lhs: AddressCount, rhs: AddressCount) -> Bool {
        lhs.high != rhs.high ? lhs.high < rhs.high : lhs.low < rhs.low
    }
}

extension AddressCount: ExpressibleByIntegerLiteral {
    /// A count written as a literal, as in `network.count == 256`.
    public init(integerLiteral value: UInt64) {
        self.init(UInt128(value))
    }
}

extension AddressCount: CustomStringConvertible {
    /// The exact decimal value, e.g. `"340282366920938463463374607431768211456"` for 2^128.
    public var description: String {
        // Long division by 10 over three 64-bit limbs, most significant first.
        var limbs: [UInt64] = [high, UInt64(truncatingIfNeeded: low >> 64), UInt64(truncatingIfNeeded: low)]
        var digits: [UInt8] = []
        repeat {
            var remainder: UInt128 = 0
            for index in 0..<limbs.count {
                let current = remainder << 64 | UInt128(limbs[index])
                limbs[index] = UInt64(current / 10)
                remainder = current % 10
            }
            digits.append(UInt8(ascii: "0") + UInt8(remainder))
        } while limbs.contains(where: { $0 != 0 })
        return String(decoding: digits.reversed(), as: UTF8.self)
    }
}
