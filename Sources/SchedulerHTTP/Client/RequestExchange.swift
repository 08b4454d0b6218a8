import HTTPTypes

/// One request written on one connection and its final response head read (1xx skipped,
/// `100 Continue` awaited when the request asked for it).
struct RequestExchange {
    let client: HTTPClient
    let connection: ClientConnection
    let deadline: ClientDeadline

    func run(_ request: HTTPClientRequest, url: HTTPClientURL) async throws -> HTTPClientResponse {
        let configuration = client.configuration
        let method = request.head.method
        connection.begin(method: method)
        let framing = RequestWriter.framing(request.body, method: method)
        let head = try RequestWriter.head(
            request.head, url: url, framing: framing, acceptGzip: configuration.decompression,
            userAgent: configuration.userAgent)
        let expectsContinue =
            request.head.headerFields[.expect]?.lowercased() == "100-continue" && framing != .none
            && framing != .length(0)

        var finalHead: HTTPResponse?
        if case .bytes(let bytes) = request.body.storage, !expectsContinue, bytes.count <= 64 * 1024 {
            try await connection.send(head + bytes, deadline)
        } else {
            try await connection.send(head, deadline)
            if expectsContinue { finalHead = try await awaitContinue() }
            if finalHead == nil {
                try await sendBody(request.body, framing: framing)
            } else {
                // The server answered without the body: the connection cannot be reused.
                connection.discard()
            }
        }
        while finalHead == nil {
            guard case .head(let response) = try await connection.nextEvent(deadline) else {
                throw HTTPClientError.connectionReset("body bytes before a response head")
            }
            if response.status.code >= 200 || response.status.code == 101 { finalHead = response }
        }
        let response = finalHead!
        connection.noteHead()
        let version = connectionVersion()
        let body: HTTPClientResponseBody
        if connection.framing == .none {
            guard case .end(let trailers) = try await connection.nextEvent(deadline) else {
                throw HTTPClientError.connectionReset("a body after a head without one")
            }
            client.pool.release(connection)
            body = .empty(trailers: trailers)
        } else {
            var decoder: GzipDecoder?
            if configuration.decompression, method != .head,
                response.headerFields[.contentEncoding]?.lowercased() == "gzip"
            {
                decoder = try GzipDecoder(limit: min(configuration.maxDecompressedBytes, configuration.maxResponseBodyBytes ?? .max))
            }
            body = HTTPClientResponseBody(
                connection: connection, pool: client.pool, deadline: deadline,
                limit: configuration.maxResponseBodyBytes, decoder: decoder)
        }
        var answer = response
        if body.decodes {
            answer.headerFields[.contentEncoding] = nil
            answer.headerFields[.contentLength] = nil
        }
        return HTTPClientResponse(head: answer, version: version, url: url, body: body)
    }

    private func connectionVersion() -> HTTPVersion { connection.version }

    /// Waits for `100 Continue` (true: send the body) or a final answer (returned), at most
    /// `expectContinueTimeout`, after which the body goes anyway.
    private func awaitContinue() async throws -> HTTPResponse? {
        let wait = ClientDeadline(
            total: deadline.total, read: min(client.configuration.expectContinueTimeout, deadline.read))
        while true {
            let event: ClientEvent
            do { event = try await connection.nextEvent(wait) } catch HTTPClientError.timedOut(.read) { return nil }
            guard case .head(let response) = event else {
                throw HTTPClientError.connectionReset("body bytes before a response head")
            }
            if response.status.code == 100 { return nil }
            if response.status.code >= 200 { return response }
        }
    }

    private func sendBody(_ body: HTTPClientRequestBody, framing: RequestWriter.Framing) async throws {
        switch body.storage {
        case .bytes(let bytes):
            if !bytes.isEmpty { try await connection.send(bytes, deadline) }
        case .stream(let length, let make):
            var sent = 0
            for try await chunk in make() {
                if chunk.isEmpty { continue }
                sent += chunk.count
                if let length, sent > length {
                    throw HTTPClientError.invalidRequest("the body stream gave more than its length \(length)")
                }
                try await connection.send(framing == .chunked ? RequestWriter.chunk(chunk) : chunk, deadline)
            }
            if let length, sent != length {
                throw HTTPClientError.invalidRequest("the body stream gave \(sent) bytes, not its length \(length)")
            }
            if framing == .chunked { try await connection.send(RequestWriter.lastChunk, deadline) }
        }
    }
}
