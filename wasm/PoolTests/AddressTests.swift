// Parsing and printing of addresses, networks and socket addresses on wasm32.
import SchedulerPool

/// Parses `text`, failing the run when it is rejected.
func parsed(_ text: String, _ t: Checker, line: UInt = #line) -> IPAddress {
    guard let address = IPAddress(text) else { t.fail("IPAddress(\"\(text)\") is nil", line: line) }
    return address
}

func testIPv4Parsing(_ t: Checker) {
    for text in ["0.0.0.0", "10.0.0.1", "127.0.0.1", "192.168.1.254", "255.255.255.255"] {
        let address = parsed(text, t)
        t.expectEqual(address.description, text, "IPv4 \(text) prints as written")
        t.expect(address.family == .ipv4, "\(text) is IPv4")
    }
    let invalid = [
        "", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.-1", "01.2.3.4", "1.2.3.04", "1..2.3",
        " 1.2.3.4", "1.2.3.4 ", "a.b.c.d", "1.2.3.4/32", "0x7f.0.0.1", "1.2.3.",
    ]
    for text in invalid {
        t.expect(IPAddress(text) == nil, "IPAddress(\"\(text)\") is rejected")
    }
    t.expect(parsed("10.0.0.1", t) < parsed("10.0.0.2", t), "10.0.0.1 < 10.0.0.2")
    t.expect(parsed("9.255.255.255", t) < parsed("10.0.0.0", t), "9.255.255.255 < 10.0.0.0")
    let set: Set<IPAddress> = [parsed("10.0.0.1", t), parsed("10.0.0.1", t), parsed("10.0.0.2", t)]
    t.expectEqual(set.count, 2, "a Set of two equal and one other address")
}

func testIPv6Parsing(_ t: Checker) {
    let canonical: [(String, String)] = [
        ("::", "::"),
        ("::1", "::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("fe80::", "fe80::"),
        ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
        ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
    ]
    for (text, expected) in canonical {
        let address = parsed(text, t)
        t.expectEqual(address.description, expected, "IPv6 \(text) prints as RFC 5952 text")
        t.expect(address.family == .ipv6, "\(text) is IPv6")
    }
    t.expect(parsed("::ffff:192.0.2.1", t) == parsed("::ffff:c000:201", t), "embedded IPv4 equals its hex form")
    t.expect(parsed("64:ff9b::10.0.0.1", t) == parsed("64:ff9b::a00:1", t), "embedded IPv4 after ::")
    let invalid = [
        ":", ":::", "2001:db8:::1", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "::g",
        "1:2:3:4:5:6:7", "::ffff:256.0.0.1", "::ffff:1.2.3", "fe80::1%eth0", "[::1]", "1:2:3:4:5:6:7:8::",
    ]
    for text in invalid {
        t.expect(IPAddress(text) == nil, "IPAddress(\"\(text)\") is rejected")
    }
    t.expect(parsed("255.255.255.255", t) < parsed("::", t), "every IPv4 address sorts before IPv6")
}

func testNetworks(_ t: Checker) {
    guard let network = IPNetwork("10.0.0.0/16") else { t.fail("IPNetwork(\"10.0.0.0/16\") is nil") }
    t.expectEqual(network.prefixLength, 16, "prefix length of 10.0.0.0/16")
    t.expect(network.count == 65536, "10.0.0.0/16 holds 65536 addresses")
    t.expectEqual(network.description, "10.0.0.0/16", "10.0.0.0/16 prints as written")
    t.expect(network.contains(parsed("10.0.255.255", t)), "10.0.0.0/16 contains 10.0.255.255")
    t.expect(!network.contains(parsed("10.1.0.0", t)), "10.0.0.0/16 does not contain 10.1.0.0")
    t.expect(!network.contains(parsed("::a00:1", t)), "an IPv4 network contains no IPv6 address")

    guard let v6 = IPNetwork("2001:db8::/32") else { t.fail("IPNetwork(\"2001:db8::/32\") is nil") }
    t.expectEqual(v6.prefixLength, 32, "prefix length of 2001:db8::/32")
    t.expect(v6.count == AddressCount(UInt128(1) << 96), "2001:db8::/32 holds 2^96 addresses")
    t.expect(v6.contains(parsed("2001:db8:ffff::1", t)), "2001:db8::/32 contains 2001:db8:ffff::1")
    t.expect(!v6.contains(parsed("2001:db9::", t)), "2001:db8::/32 does not contain 2001:db9::")

    guard let single = IPNetwork("10.1.2.3/32") else { t.fail("IPNetwork(\"10.1.2.3/32\") is nil") }
    t.expect(single.count == 1, "a /32 holds one address")
    guard let everything = IPNetwork("::/0") else { t.fail("IPNetwork(\"::/0\") is nil") }
    t.expectEqual(
        everything.count.description, "340282366920938463463374607431768211456", "::/0 holds exactly 2^128 addresses")
    t.expect(everything.count.uint128Value == nil, "2^128 does not fit in UInt128")
    t.expect(everything.contains(parsed("ffff::1", t)), "::/0 contains every IPv6 address")

    for text in [
        "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0/8", "::/129", "fe80::%1/64", "/24",
        "10.0.0.0/ 8",
        "10.0.0.1/24", "2001:db8::1/64",
    ] {
        t.expect(IPNetwork(text) == nil, "IPNetwork(\"\(text)\") is rejected")
    }
}

func testSocketAddress(_ t: Checker) {
    let address = t.expectNoThrow("SocketAddress(host: \"192.168.1.1\", port: 8080)") { () throws(IPPoolError) in
        try SocketAddress(host: "192.168.1.1", port: 8080)
    }
    t.expectEqual(address.host, "192.168.1.1", "host")
    t.expectEqual(address.port, 8080, "port")
    t.expect(address.ip == parsed("192.168.1.1", t), "ip")

    let v6 = t.expectNoThrow("SocketAddress(host: \"::1\", port: 443)") { () throws(IPPoolError) in
        try SocketAddress(host: "::1", port: 443)
    }
    t.expect(v6.ip == parsed("::1", t), "IPv6 socket address ip")

    let error = t.expectThrows("SocketAddress(host: \"300.1.1.1\", port: 1)") { () throws(IPPoolError) in
        try SocketAddress(host: "300.1.1.1", port: 1)
    }
    t.expect(error == .malformedAddress("300.1.1.1"), "the error names the bad host: \(error)")
}
