import HTTPTypes

/// Where a task started for a connection begins.
enum Resume {
    /// A new connection: the header timeout runs, then requests are read and answered.
    case start
    /// Read and answer requests.
    case serve
    /// Finish a request answered in part on the loop thread, then read on.
    indirect case finish(Rest)
    /// Wait until the send queue has room, then read on.
    case sendRoom
    /// Send what is pending and close.
    case close
}

/// What is left of answering a request once its synchronous part is done: each needs a task.
enum Rest {
    /// Answer with an error and close (a malformed request, a body over the limit).
    case reject(HTTPResponse.Status, String, HTTPVersion, HTTPRequest.Method)
    /// Call the responder's async `respond`.
    case respond(InboundHead, HTTPServerRequest, keepAlive: Bool)
    /// The responder threw.
    case failed(InboundHead, HTTPServerRequest, any Error, keepAlive: Bool)
    /// The response is pending and must be sent now.
    case flush(HTTPServerResponse, keepAlive: Bool)
    /// The response streams its body.
    case stream(InboundHead, HTTPServerResponse, keepAlive: Bool)
    /// The response hands the connection to another protocol.
    case takeover(HTTPServerResponse)
    /// The handler left the body unread: skip some of it, or close.
    case skipBody
}

/// How far answering a request got without an async call.
enum Answered {
    /// Answered (queued); the connection reads the next request.
    case keepAlive
    /// Answered; the connection closes.
    case close
    /// A task must finish it.
    indirect case rest(Rest)
}

extension ServerConnection {
    /// Answers `head` as far as it goes without an async call: the responder's synchronous
    /// answer, queued when its body is known.
    func answerNow(_ head: InboundHead) -> Answered {
        answeredNow = false
        deadline.disarm()
        if let length = head.contentLength, length > configuration.maxBodySize {
            return .rest(
                .reject(
                    .contentTooLarge,
                    "request body of \(length) bytes over the limit of \(configuration.maxBodySize)",
                    head.version, head.method))
        }
        let request = HTTPServerRequest(
            arrived: head.request, body: head.hasBody ? HTTPRequestBody(source: reader) : .empty,
            localAddress: localAddress, remoteAddress: connection.peerAddress)
        let keepAlive = head.keepAlive && !registry.isDraining
        let response: HTTPServerResponse
        do {
            guard let answer = try responder.respondSynchronously(to: request) else {
                return .rest(.respond(head, request, keepAlive: keepAlive))
            }
            response = answer
        } catch {
            return .rest(.failed(head, request, error, keepAlive: keepAlive))
        }
        answeredNow = true
        return deliver(head, response, keepAlive: keepAlive)
    }

    /// Queues `response` when its body is known; what is left otherwise.
    func deliver(_ head: InboundHead, _ response: HTTPServerResponse, keepAlive: Bool) -> Answered {
        var keepAlive = keepAlive
        if (response.preset == nil && response.headerFields.hasSingle(.connection, equalTo: "close")) || registry.isDraining {
            keepAlive = false
        }
        switch queue(response, version: head.version, method: head.method, keepAlive: keepAlive) {
        case .queued: if sendFailed { return .close }
        case .mustFlush: return .rest(.flush(response, keepAlive: keepAlive))
        case .stream: return .rest(.stream(head, response, keepAlive: keepAlive))
        }
        return afterSent(response, keepAlive: keepAlive)
    }

    /// What follows `response` once it is out (or queued): a takeover, the rest of an unread
    /// body, or the next request.
    func afterSent(_ response: HTTPServerResponse, keepAlive: Bool) -> Answered {
        if response.takeover != nil, response.status.code == 101 { return .rest(.takeover(response)) }
        if keepAlive && !reader.bodyComplete {
            // The handler left part of the body unread: skip a little of it, else close. A client
            // that still waits for `100 Continue` gets none: it was answered without the body.
            return reader.owesContinue ? .close : .rest(.skipBody)
        }
        return keepAlive ? .keepAlive : .close
    }

    /// Finishes what `answerNow` left; false when the connection must close.
    func finish(_ rest: Rest) async -> Bool {
        var rest = rest
        while true {
            let answered: Answered
            switch rest {
            case .reject(let status, let reason, let version, let method):
                await sendError(status, reason, version: version, method: method)
                return false
            case .respond(let head, let request, let keepAlive):
                do {
                    answered = deliver(head, try await responder.respond(to: request), keepAlive: keepAlive)
                } catch {
                    return await failed(head, request, error, keepAlive: keepAlive)
                }
            case .failed(let head, let request, let error, let keepAlive):
                return await failed(head, request, error, keepAlive: keepAlive)
            case .flush(let response, let keepAlive):
                guard await flush() else { return false }
                answered = afterSent(response, keepAlive: keepAlive)
            case .stream(let head, let response, let keepAlive):
                guard await send(response, version: head.version, method: head.method, keepAlive: keepAlive) else {
                    return false
                }
                answered = afterSent(response, keepAlive: keepAlive)
            case .takeover(let response):
                // The connection now speaks another protocol (a WebSocket): its code owns it until
                // it returns, and the connection then closes.
                guard await flush(), let takeover = response.takeover else { return false }
                let registry = self.registry
                let slot = deadline
                await takeover(
                    TakenConnection(
                        connection: connection, buffered: reader.takeBuffered(),
                        whenDraining: { registry.whenDraining(slot, $0) }))
                return false
            case .skipBody:
                return await reader.skipBody(limit: 256 << 10)
            }
            switch answered {
            case .keepAlive: return true
            case .close: return false
            case .rest(let next): rest = next
            }
        }
    }

    /// Answers a responder's error: 413 or 400 for a body that failed, 500 for anything else;
    /// false when the connection must close.
    private func failed(
        _ head: InboundHead, _ request: HTTPServerRequest, _ error: any Error, keepAlive: Bool
    ) async -> Bool {
        configuration.onHandlerError(error, request)
        if let error = error as? HTTPServerError {
            switch error {
            case .bodyTooLarge:
                await sendError(.contentTooLarge, "\(error)", version: head.version, method: head.method)
            case .malformedBody:
                await sendError(.badRequest, "\(error)", version: head.version, method: head.method)
            case .connectionClosed: break
            }
            return false
        }
        let keepAlive = keepAlive && reader.bodyComplete
        await send(.status(.internalServerError), version: head.version, method: head.method, keepAlive: keepAlive)
        return keepAlive
    }
}
