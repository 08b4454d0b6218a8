import Testing

@testable import SchedulerPool

@Suite("Networks and counts", .timeLimit(.minutes(2)))
struct NetworkTests {
    @Test func parsesAndCounts() throws {
        let network = try #require(IPNetwork("10.0.0.0/16"))
        #expect(network.prefixLength == 16)
        #expect(network.family == .ipv4)
        #expect(network.count == 65536)
        #expect(network.address == IPAddress("10.0.0.0"))
        #expect(network.lastAddress == IPAddress("10.0.255.255"))
        #expect(network.contains(IPAddress("10.0.200.1")!))
        #expect(!network.contains(IPAddress("10.1.0.0")!))
        #expect(!network.contains(IPAddress("::a00:1")!))
        #expect(network.description == "10.0.0.0/16")
    }

    @Test func countIsExactForEveryPrefix() throws {
        let all6 = try #require(IPNetwork("::/0"))
        #expect(all6.count.description == "340282366920938463463374607431768211456")
        #expect(all6.count.uint128Value == nil)
        #expect(all6.count == AddressCount(high: 1, low: 0))
        #expect(all6.contains(IPAddress("ffff::1")!))
        #expect(IPNetwork("::/1")!.count.uint128Value == UInt128(1) << 127)
        #expect(IPNetwork("2001:db8::/64")!.count == AddressCount(UInt128(1) << 64))
        #expect(IPNetwork("0.0.0.0/0")!.count == 4_294_967_296)
        #expect(IPNetwork("1.2.3.4/32")!.count == 1)
        #expect(IPNetwork("::1/128")!.count == 1)
    }

    /// Host bits set are rejected, as Python's ip_network(strict=True) does.
    @Test(arguments: ["10.0.0.1/16", "10.0.0.0/6", "2001:db8::1/64", "::1/127", "1.2.3.5/31"])
    func hostBitsSetIsRejected(text: String) {
        #expect(IPNetwork(text) == nil)
    }

    @Test(arguments: [
        "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/8", "/8", "10.0.0.0/ 8",
        "::/129", "fe80::%1/64", "10.0.0.0/255.0.0.0", "10.0.0/8", "", "10.0.0.0/8 ",
    ])
    func malformedNetworksAreRejected(text: String) {
        #expect(IPNetwork(text) == nil)
    }

    @Test func bareAddressIsAHostNetwork() {
        #expect(IPNetwork("10.0.0.1")?.description == "10.0.0.1/32")
        #expect(IPNetwork("::1")?.description == "::1/128")
        #expect(IPNetwork("10.0.0.0/08")?.description == "10.0.0.0/8")
    }

    @Test func overlaps() {
        let a = IPNetwork("10.0.0.0/8")!
        #expect(a.overlaps(IPNetwork("10.1.0.0/16")!))
        #expect(IPNetwork("10.1.0.0/16")!.overlaps(a))
        #expect(!a.overlaps(IPNetwork("11.0.0.0/8")!))
        #expect(!a.overlaps(IPNetwork("::a00:0/104")!))
    }

    @Test func addressCountArithmeticAndText() {
        let big = AddressCount.powerOfTwo(128)
        #expect((big - 1).uint128Value == UInt128.max)
        #expect((AddressCount(UInt128.max) + 1) == big)
        #expect(AddressCount(0).description == "0")
        #expect(AddressCount(12345).description == "12345")
        #expect(AddressCount(UInt128.max).description == "340282366920938463463374607431768211455")
        #expect(AddressCount(3) < big)
    }
}
