import SchedulerHTTP

/// `server.run()` in a task, returned once it serves (for at most 10 s): a test whose client
/// then blocks its thread cannot keep the server from starting on a busy global pool.
func startRunning(_ server: HTTPServer) async -> Task<Void, Never> {
    let running = Task { await server.run() }
    for _ in 0..<10_000 where !server.isRunning { try? await Task.sleep(for: .milliseconds(1)) }
    return running
}
