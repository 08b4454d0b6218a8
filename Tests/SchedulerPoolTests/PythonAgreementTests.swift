import Foundation
import TestSupport
import Testing

@testable import SchedulerPool

/// The python3 interpreter found through PATH, if one is installed.
let python3Path: String? = executableOnPath("python3")

/// Thousands of generated address and network texts, valid and not, judged by Python's
/// `ipaddress` and by this module; the two must agree on validity and on the printed text.
/// Skipped where `python3` is not on PATH, except in strict mode (SCHEDULER_CORE_STRICT=1), where it fails.
@Suite(
    "Agreement with Python's ipaddress", .timeLimit(.minutes(2)),
    .enabled(if: runsHere(python3Path != nil), "python3 is not on PATH"))
struct PythonAgreementTests {

    /// Generates cases and prints `kind<TAB>input<TAB>expected` lines; expected is `!` for invalid.
    /// Python 3.13 and later print IPv4-mapped addresses as `::ffff:a.b.c.d` (RFC 5952 section 5);
    /// older versions do not, so the script applies that rule itself. Zone ids and netmask
    /// prefixes (`/255.0.0.0`), which this module rejects on purpose, are not generated.
    static let generator = #"""
        import ipaddress, random, sys
        rnd = random.Random(int(sys.argv[1]))

        def v4_text(v):
            return ".".join(str((v >> s) & 255) for s in (24, 16, 8, 0))

        def v6_groups(v):
            return [(v >> (16 * (7 - i))) & 0xFFFF for i in range(8)]

        def random_v6():
            groups = [rnd.choice([0, 0, 0, 1, rnd.randrange(65536), 0xffff]) for _ in range(8)]
            if rnd.random() < 0.15:
                groups[:6] = [0, 0, 0, 0, 0, 0xffff]
            v = 0
            for g in groups:
                v = v << 16 | g
            return v

        def v6_text(v):
            groups = v6_groups(v)
            texts = []
            for g in groups:
                t = format(g, "x")
                if rnd.random() < 0.2: t = t.zfill(rnd.randint(len(t), 4))
                if rnd.random() < 0.2: t = t.upper()
                texts.append(t)
            if rnd.random() < 0.2:
                texts[6:] = [v4_text(v & 0xFFFFFFFF)]
            if rnd.random() < 0.6:
                zero = [i for i, g in enumerate(groups[:len(texts)]) if g == 0 and i < len(texts)]
                if zero:
                    start = rnd.choice(zero)
                    end = start
                    while end + 1 < len(texts) and groups[end + 1] == 0 and rnd.random() < 0.8 and not (len(texts) == 7 and end + 1 == 6):
                        end += 1
                    return ":".join(texts[:start]) + "::" + ":".join(texts[end + 1:])
            return ":".join(texts)

        ALPHABET = "0123456789abcdefABCDEFg:./x -"
        def mutate(s):
            s = list(s)
            for _ in range(rnd.randint(1, 2)):
                op = rnd.random()
                i = rnd.randrange(len(s) + 1)
                if op < 0.35 and s:
                    del s[min(i, len(s) - 1)]
                elif op < 0.7:
                    s.insert(i, rnd.choice(ALPHABET))
                elif s:
                    s[min(i, len(s) - 1)] = rnd.choice(ALPHABET)
            return "".join(s)

        def v4_candidate():
            v = rnd.choice([0, 0xFFFFFFFF, 0x7F000001, rnd.getrandbits(32), rnd.getrandbits(8) << 24])
            t = v4_text(v)
            r = rnd.random()
            if r < 0.1: t = t.replace(".", ".0", 1)
            elif r < 0.15: t = t + ".1"
            elif r < 0.2: t = "256" + t[t.index("."):]
            return t

        def candidate():
            t = v4_candidate() if rnd.random() < 0.4 else v6_text(random_v6())
            return mutate(t) if rnd.random() < 0.4 else t

        def address_expected(s):
            try:
                a = ipaddress.ip_address(s)
            except ValueError:
                return "!"
            if a.version == 6 and a.ipv4_mapped is not None:
                return "::ffff:" + str(a.ipv4_mapped)
            return str(a)

        def network_expected(s):
            try:
                n = ipaddress.ip_network(s)
            except ValueError:
                return "!"
            a = n.network_address
            text = "::ffff:" + str(a.ipv4_mapped) if a.version == 6 and a.ipv4_mapped is not None else str(a)
            return text + "/" + str(n.prefixlen)

        out = []
        count = int(sys.argv[2])
        while len(out) < count:
            s = candidate()
            if "%" in s or "\t" in s: continue
            out.append("A\t" + s + "\t" + address_expected(s))
            # A network: the candidate with a prefix, its host bits cleared half the time.
            bits = 32 if "." in s and ":" not in s else 128
            prefix = rnd.choice([0, 1, bits // 2, bits - 1, bits, rnd.randint(0, bits), bits + 1])
            n = s + "/" + (str(prefix) if rnd.random() < 0.9 else "0" + str(prefix))
            try:
                n = str(ipaddress.ip_network(n, strict=False)) if rnd.random() < 0.5 else n
            except ValueError:
                pass
            if rnd.random() < 0.05: n = mutate(n)
            if "%" in n or "\t" in n: continue
            if "/" in n and "." in n.split("/", 1)[1]: continue
            out.append("N\t" + n + "\t" + network_expected(n))
        print("\n".join(out))
        """#

    @Test(arguments: [UInt64(11), 12, 13])
    func agreesWithPython(seed: UInt64) throws {
        let process = Process()
        process.executableURL = URL(
            fileURLWithPath: try #require(python3Path, "strict mode: python3 is not on PATH, the agreement was not checked"))
        process.arguments = ["-c", Self.generator, String(seed), "4000"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        #expect(lines.count >= 4000)
        var valid = 0
        var disagreements: [String] = []
        for line in lines {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3 else {
                disagreements.append("unparsable line: " + line)
                continue
            }
            let (kind, input, expected) = (fields[0], fields[1], fields[2])
            let actual = kind == "A" ? IPAddress(input)?.description : IPNetwork(input)?.description
            if actual != nil { valid += 1 }
            if (actual ?? "!") != expected {
                disagreements.append("\(kind) \"\(input)\": python \(expected), swift \(actual ?? "!")")
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.count) disagreements, first: \(disagreements.prefix(20))")
        // Both valid and invalid inputs must be well represented for the check to mean something.
        #expect(valid > lines.count / 5)
        #expect(valid < lines.count * 4 / 5)
    }
}
