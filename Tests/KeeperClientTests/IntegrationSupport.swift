import Foundation
import KeeperClient
import Logging
import PaddockTestSupport
import Synchronization
import Testing
import ZooKeeperWire

/// Collects a client's events in the background so tests can wait for them with a deadline.
final class EventRecorder<Event: Sendable>: Sendable {
    private final class Storage: Sendable {
        let events = Mutex<[Event]>([])
    }

    private let storage = Storage()
    private let task: Task<Void, Never>

    init(_ stream: AsyncStream<Event>) {
        let storage = self.storage
        task = Task {
            for await event in stream { storage.events.withLock { $0.append(event) } }
        }
    }

    var all: [Event] { storage.events.withLock { $0 } }

    /// Waits until `predicate` holds for the events recorded so far.
    @discardableResult
    func wait(
        timeout: Duration = .seconds(10),
        sourceLocation: SourceLocation = #_sourceLocation,
        until predicate: ([Event]) -> Bool
    ) async throws -> [Event] {
        let ok = try await eventually(timeout: timeout) { predicate(self.all) }
        if !ok { Issue.record("condition not met within \(timeout); events: \(all)", sourceLocation: sourceLocation) }
        return all
    }

    deinit { task.cancel() }
}

/// A unique root for one test on the shared server.
func uniqueRoot(_ name: String) -> String {
    "/\(name)-\(UInt32.random(in: 0...UInt32.max))"
}

func makeClient(
    _ connectString: String,
    sessionTimeout: Duration = .seconds(6)
) throws -> ZooKeeperClient {
    var logger = Logger(label: "KeeperClientTests")
    logger.logLevel = ProcessInfo.processInfo.environment["KC_LOG"] != nil ? .trace : .critical
    return try ZooKeeperClient(connectString: connectString, sessionTimeout: sessionTimeout, logger: logger)
}

/// Connects a client to `server` and runs `body`, closing the client afterwards.
func withClient<T>(
    _ server: PaddockProcess,
    chroot: String = "",
    sessionTimeout: Duration = .seconds(6),
    _ body: (ZooKeeperClient) async throws -> T
) async throws -> T {
    let client = try makeClient(server.connectString + chroot, sessionTimeout: sessionTimeout)
    try await client.connect()
    do {
        let result = try await body(client)
        try await client.close()
        return result
    } catch {
        try? await client.close()
        throw error
    }
}

func expectError<T>(
    _ code: ZKErrorCode,
    sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () async throws -> T
) async {
    do {
        _ = try await body()
        Issue.record("expected \(code), got success", sourceLocation: sourceLocation)
    } catch let error as ZooKeeperError {
        #expect(error.code == code, sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected ZooKeeperError(\(code)), got \(error)", sourceLocation: sourceLocation)
    }
}
