// swift-format-ignore-file
// (the README block below keeps its aligned comments, as the README shows it)
// The README's durable pool example, verbatim between the README lines, then a check that the
// pool's journal is where the README says (the snapshot appears at the first compaction).
#if canImport(Glibc)
    import Glibc
#endif

import SchedulerCore

// README begin
let pool = try IPPool(name: "my-pool", storageDirectory: "/tmp/pools", quarantine: .seconds(30))
// README end

for file in ["/tmp/pools/my-pool.journal"] where access(file, F_OK) != 0 {
    print("readme-durable: FAILED: no \(file)")
    exit(1)
}
print("readme-durable: OK: \(pool.name) opened in /tmp/pools")
