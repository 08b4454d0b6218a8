// router-bench: the time to route one request through HTTPRouter with 10 routes and with 1,000,
// in the same run (the router's trie makes it depend on the path's depth, not the route count).
// `make bench-router`; prints ns per routed request for each and the ratio.
import Glibc
import HTTPTypes
import SchedulerHTTP
import SchedulerPool

func makeRouter(routes: Int) throws -> HTTPRouter {
    var router = HTTPRouter()
    for index in 0..<routes {
        try router.get("/api/v1/resource\(index)/:id") { _, context in context["id"] ?? "" }
    }
    try router.get("/users/:id") { _, context in context["id"] ?? "" }
    return router
}

func nanoseconds() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}

/// The best of `rounds` timings of `count` routed requests, in ns per request.
func measure(_ router: HTTPRouter, count: Int, rounds: Int) async throws -> Double {
    let local = SocketAddress(ip: IPAddress("127.0.0.1")!, port: 80)
    let paths = ["/users/42", "/api/v1/resource7/9", "/nowhere/at/all"]
    let requests = paths.map {
        HTTPServerRequest(head: HTTPRequest(method: .get, scheme: nil, authority: "a", path: $0), localAddress: local)
    }
    var best = Double.infinity
    var checksum = 0
    for _ in 0..<rounds {
        let start = nanoseconds()
        for index in 0..<count {
            let response = try await router.route(requests[index % requests.count])
            checksum &+= response.head.status.code
        }
        best = min(best, Double(nanoseconds() - start) / Double(count))
    }
    if checksum == 42 { print("") }
    return best
}

let count = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 300_000
let small = try makeRouter(routes: 10)
let large = try makeRouter(routes: 1000)
// Interleaved, so that both see the same machine.
var smallTimes: [Double] = []
var largeTimes: [Double] = []
for _ in 0..<3 {
    smallTimes.append(try await measure(small, count: count, rounds: 3))
    largeTimes.append(try await measure(large, count: count, rounds: 3))
}
let smallBest = smallTimes.min()!
let largeBest = largeTimes.min()!
print("routes    ns per routed request (best of 9; /users/42, /api/v1/resource7/9, a 404 in turn)")
print("10        \(Int(smallBest))")
print("1000      \(Int(largeBest))")
print("ratio 1000/10: \((largeBest / smallBest * 100).rounded() / 100) (target <= 1.2)")
