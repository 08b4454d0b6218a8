import Testing

@testable import SchedulerPool

@Suite("Address parsing and printing", .timeLimit(.minutes(2)))
struct AddressParsingTests {
    @Test(arguments: [
        ("0.0.0.0", UInt32(0)), ("255.255.255.255", UInt32.max), ("127.0.0.1", 0x7F00_0001),
        ("10.20.30.40", 0x0A14_1E28), ("1.0.0.0", 0x0100_0000),
    ])
    func validIPv4(text: String, value: UInt32) {
        let ip = IPAddress(text)
        #expect(ip?.ipv4Value == value)
        #expect(ip?.family == .ipv4)
        #expect(ip?.description == text)
    }

    @Test(arguments: [
        "", "1", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.04", "00.0.0.0", "1..2.3",
        ".1.2.3", "1.2.3.", "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "1.2.3.+4", "0x1.2.3.4", "1.2.3.4/32",
        "1234.1.1.1", "1.2.3.4%eth0", "١.2.3.4", "1.2.3.a",
    ])
    func invalidIPv4(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test(arguments: [
        ("::", "::"), ("::1", "::1"), ("1::", "1::"), ("2001:db8::1", "2001:db8::1"),
        ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"), ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
        ("1:0:0:0:2:0:0:3", "1::2:0:0:3"), ("1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),
        ("0:0:1:0:0:1:0:0", "::1:0:0:1:0:0"), ("1::2:3:4:5:6:7", "1:0:2:3:4:5:6:7"),
        ("1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0"), ("::2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"),
        ("::1.2.3.4", "::102:304"), ("::ffff:1.2.3.4", "::ffff:1.2.3.4"), ("::FFFF:0102:0304", "::ffff:1.2.3.4"),
        ("1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304"), ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
        ("fe80::", "fe80::"), ("ff02::1:ff00:1", "ff02::1:ff00:1"), ("0::0", "::"),
    ])
    func validIPv6(text: String, canonical: String) {
        let ip = IPAddress(text)
        #expect(ip?.family == .ipv6)
        #expect(ip?.description == canonical)
        #expect(IPAddress(canonical) == ip)
    }

    @Test(arguments: [
        ":", ":::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", ":1::", "1:", ":1", "::1:",
        "12345::", "g::", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:1.2.3.4",
        "::1.2.3", "::1.2.3.04", "::256.1.1.1", "1.2.3.4::", "::1.2.3.4:1", "fe80::1%eth0", "[::1]",
        "::1 ", "0x1::", "1::2:3:4:5:6:7:8", ":::1", "1:::2",
    ])
    func invalidIPv6(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func integerInitialisersRoundTrip() {
        let v4 = IPAddress(ipv4: 0xC0A8_0101)
        #expect(v4.description == "192.168.1.1")
        #expect(v4.ipv6Value == nil)
        #expect(v4.bytes == [192, 168, 1, 1])
        let v6 = IPAddress(ipv6: 1)
        #expect(v6.description == "::1")
        #expect(v6.ipv4Value == nil)
        #expect(v6.ipv6Value == 1)
        #expect(IPAddress(bytes: v6.bytes) == v6)
        #expect(IPAddress(ipv6: UInt128(0x2001_0db8) << 96).description == "2001:db8::")
    }

    @Test func loopbackAndOrder() {
        #expect(IPAddress("127.255.0.1")!.isLoopback)
        #expect(!IPAddress("128.0.0.1")!.isLoopback)
        #expect(IPAddress("::1")!.isLoopback)
        #expect(!IPAddress("::2")!.isLoopback)
        #expect(IPAddress("255.255.255.255")! < IPAddress("::")!)
        #expect(IPAddress("10.0.0.2")! < IPAddress("10.0.0.10")!)
        #expect(IPAddress("1.2.3.4") != IPAddress("::1.2.3.4"))
    }
}
