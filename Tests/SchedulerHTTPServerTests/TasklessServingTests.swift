import Testing
import TestSupport

/// A connection whose responder answers synchronously is served on its loop thread between
/// requests, with no task: what needs a task (a body read, an async answer, a streamed body, a
/// failure) gets one and the connection goes on in order; without parking, the task stays.
@Suite(.serialized, .timeLimit(.minutes(2))) struct TasklessServingTests {
    @Test func laterRequestsAreAnsweredWithNoTask() async throws {
        try await withServer(routes: TestRoutes(synchronous: true)) { port in
            let client = try RawClient(port: port)
            // The first request is read by the connection's own task.
            try client.send("GET /task HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().text == "task")
            try client.send("GET /task HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().text == "no task")
            try client.send(String(repeating: "GET /task HTTP/1.1\r\nHost: a\r\n\r\n", count: 3))
            for _ in 0..<3 { #expect(try client.readResponse().text == "no task") }
        }
    }

    @Test func withoutParkingOrWithAsyncAnswersTheTaskStays() async throws {
        try await withServer(routes: TestRoutes(synchronous: true), configure: { $0.parkIdleAfter = nil }) { port in
            let client = try RawClient(port: port)
            for _ in 0..<3 {
                try client.send("GET /task HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try client.readResponse().text == "task")
            }
        }
        try await withServer(routes: TestRoutes(synchronous: false)) { port in
            let client = try RawClient(port: port)
            for _ in 0..<3 {
                try client.send("GET /task HTTP/1.1\r\nHost: a\r\n\r\n")
                #expect(try client.readResponse().text == "task")
            }
        }
    }

    @Test func whatNeedsATaskGetsOneInOrderAndTheConnectionGoesOn() async throws {
        try await withServer(routes: TestRoutes(synchronous: true)) { port in
            let client = try RawClient(port: port)
            try client.send("GET /task HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().text == "task")
            for round in 0..<2 {
                // Each of these is answered as the connection waits with no task (one per write),
                // then all of them in one write.
                let requests = [
                    "GET /task HTTP/1.1\r\nHost: a\r\n\r\n",
                    "POST /collect HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
                    "GET /stream?n=2 HTTP/1.1\r\nHost: a\r\n\r\n",
                    "GET /fail HTTP/1.1\r\nHost: a\r\n\r\n",
                    "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc",
                    "GET /slow HTTP/1.1\r\nHost: a\r\n\r\n",
                    "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nping",
                ]
                var answers: [String] = []
                if round == 0 {
                    for request in requests {
                        try client.send(request)
                        let response = try client.readResponse()
                        answers.append("\(response.status) \(response.text)")
                        // Let the connection go back to waiting with no task.
                        try await Task.sleep(for: .milliseconds(5))
                    }
                } else {
                    try client.send(requests.joined())
                    for _ in requests {
                        let response = try client.readResponse()
                        answers.append("\(response.status) \(response.text)")
                    }
                }
                #expect(answers.count == 7)
                #expect(answers[1...] == [
                    "200 5", "200 chunk 0\nchunk 1\n", "500 Internal Server Error", "200 Hello, World!", "200 slow done", "200 ping",
                ])
                // The first follows a synchronous answer: it comes while the connection waits with
                // no task (in the second round, the echo's task may still be there).
                if round == 0 { #expect(answers[0] == "200 no task") }
            }
            // The echo was answered synchronously (its body streams in a task): once that is
            // done, the connection waits with no task again.
            try await Task.sleep(for: .milliseconds(20))
            try client.send("GET /task HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(try client.readResponse().text == "no task")
        }
    }

    /// Two loop threads, eight connections at once, synchronous and async answers mixed: every
    /// answer right and in order, and every socket closed after shutdown.
    @Test func manyConnectionsOnTwoLoopsMixingSynchronousAndAsyncAnswers() async throws {
        var port: UInt16 = 0
        try await withServer(routes: TestRoutes(synchronous: true), configure: { $0.engine.threads = 2 }) { serverPort in
            port = serverPort
            try await withThrowingTaskGroup(of: Void.self) { group in
                for client in 0..<8 {
                    group.addTask {
                        let connection = try RawClient(port: serverPort)
                        for round in 0..<25 {
                            let body = String(repeating: "x", count: client + round)
                            try connection.send(
                                "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
                                    + "POST /collect HTTP/1.1\r\nHost: a\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
                            #expect(try connection.readResponse().text == "Hello, World!")
                            #expect(try connection.readResponse().text == "\(body.utf8.count)")
                            try connection.send("GET /stream?n=1 HTTP/1.1\r\nHost: a\r\n\r\n")
                            #expect(try connection.readResponse().text == "chunk 0\n")
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        #expect(openSocketCount(localPort: port) == 0)
    }
}
