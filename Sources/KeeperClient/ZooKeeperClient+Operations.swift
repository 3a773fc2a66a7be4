import NIOCore
public import ZooKeeperWire

extension ZooKeeperClient {
    // MARK: - Nodes

    /// Creates a node and returns its actual path (with the sequence suffix for sequential modes).
    ///
    /// Uses create (op 1), or createContainer (19) / createTTL (21) for those modes. TTL modes need
    /// `ttl` in milliseconds (servers need `extendedTypesEnabled=true`); other modes must pass nil.
    public func create(
        _ path: String,
        data: [UInt8] = [],
        acl: [ACL] = ACL.openUnsafe,
        mode: CreateMode = .persistent,
        ttl: Int64? = nil
    ) async throws -> String {
        let request = try Self.createRequest(path, data: data, acl: acl, mode: mode, ttl: ttl, wantStat: false)
        switch try await execute(request, path: path) {
        case .create(let created), .create2(let created, _): return created
        case let other: throw Self.unexpected(other, path: path)
        }
    }

    /// Creates a node with create2 (op 15, or 19/21 for container/TTL modes) and returns its path and Stat.
    public func createReturningStat(
        _ path: String,
        data: [UInt8] = [],
        acl: [ACL] = ACL.openUnsafe,
        mode: CreateMode = .persistent,
        ttl: Int64? = nil
    ) async throws -> (path: String, stat: Stat) {
        let request = try Self.createRequest(path, data: data, acl: acl, mode: mode, ttl: ttl, wantStat: true)
        switch try await execute(request, path: path) {
        case .create2(let created, let stat): return (created, stat)
        case let other: throw Self.unexpected(other, path: path)
        }
    }

    /// Deletes a node; `version` -1 matches any version.
    public func delete(_ path: String, version: Int32 = -1) async throws {
        _ = try await execute(.delete(DeleteRequest(path: path, version: version)), path: path)
    }

    /// The node's Stat, or nil when it does not exist. With `watch`, a watch is left either way: it
    /// fires NodeCreated, NodeDeleted or NodeDataChanged.
    public func exists(_ path: String, watch: Bool = false) async throws -> Stat? {
        do {
            switch try await execute(.exists(PathWatchRequest(path: path, watch: watch)), path: path) {
            case .stat(let stat): return stat
            case let other: throw Self.unexpected(other, path: path)
            }
        } catch let error as ZooKeeperError where error.code == .noNode {
            return nil
        }
    }

    /// The node's data and Stat. With `watch`, NodeDataChanged / NodeDeleted fire once.
    public func getData(_ path: String, watch: Bool = false) async throws -> (data: [UInt8], stat: Stat) {
        switch try await execute(.getData(PathWatchRequest(path: path, watch: watch)), path: path) {
        case .getData(let data, let stat): return (data.map { Array($0.readableBytesView) } ?? [], stat)
        case let other: throw Self.unexpected(other, path: path)
        }
    }

    /// Replaces the node's data; `version` -1 matches any version. Returns the new Stat.
    @discardableResult
    public func setData(_ path: String, data: [UInt8], version: Int32 = -1) async throws -> Stat {
        let request = ZKRequest.setData(SetDataRequest(path: path, data: ByteBuffer(bytes: data), version: version))
        switch try await execute(request, path: path) {
        case .stat(let stat): return stat
        case let other: throw Self.unexpected(other, path: path)
        }
    }

    public func getACL(_ path: String) async throws -> (acl: [ACL], stat: Stat) {
        switch try await execute(.getACL(path: path), path: path) {
        case .getACL(let acl, let stat): return (acl, stat)
        case let other: throw Self.unexpected(other, path: path)
        }
    }

    /// Replaces the node's ACL; `version` is the expected `aversion` (-1 matches any).
    @discardableResult
    public func setACL(_ path: String, acl: [ACL], version: Int32 = -1) async throws -> Stat {
        switch try await execute(.setACL(SetACLRequest(path: path, acl: acl, version: version)), path: path) {
        case .stat(let stat): return stat
        case let other: throw Self.unexpected(other, path: path)
        }
    }

    /// The node's children (names, unordered). With `watch`, NodeChildrenChanged / NodeDeleted fire once.
    public func getChildren(_ path: String, watch: Bool = false) async throws -> [String] {
        switch try await execute(.getChildren(PathWatchRequest(path: path, watch: watch)), path: path) {
        case .getChildren(let children): return children
        case let other: throw Self.unexpected(other, path: path)
        }
    }

    /// The node's children and its Stat (getChildren2, op 12).
    public func getChildren2(_ path: String, watch: Bool = false) async throws -> (children: [String], stat: Stat) {
        switch try await execute(.getChildren2(PathWatchRequest(path: path, watch: watch)), path: path) {
        case .getChildren2(let children, let stat): return (children, stat)
        case let other: throw Self.unexpected(other, path: path)
        }
    }

    /// Waits until the server this client is connected to has caught up with the leader
    /// (as of the moment the sync arrives there). Not a quorum read (ZOOKEEPER-1675).
    public func sync(_ path: String) async throws {
        _ = try await execute(.sync(path: path), path: path)
    }

    /// The number of all descendants of `path` (op 104).
    public func getAllChildrenNumber(_ path: String) async throws -> Int32 {
        switch try await execute(.getAllChildrenNumber(path: path), path: path) {
        case .allChildrenNumber(let count): return count
        case let other: throw Self.unexpected(other, path: path)
        }
    }

    /// This session's ephemeral nodes whose paths start with `prefix` (op 103).
    public func getEphemerals(prefix: String = "/") async throws -> [String] {
        switch try await execute(.getEphemerals(prefixPath: prefix), path: prefix) {
        case .getEphemerals(let paths): return paths
        case let other: throw Self.unexpected(other, path: prefix)
        }
    }

    // MARK: - Transactions

    /// Runs `ops` atomically (op 14) and returns one result per op.
    ///
    /// A multi that fails is **not thrown**: nothing was applied, and the results say why, as
    /// ZooKeeper reports them (every result `.error`: `.ok` before the failing op, its code, then
    /// `.runtimeInconsistency`); `results.firstError` picks the cause. Thrown errors mean the
    /// transaction could not be run at all (connection loss, session expiry, a malformed path).
    public func multi(_ ops: [Op]) async throws -> [OpResult] {
        var requests: [ZKRequest] = []
        requests.reserveCapacity(ops.count)
        for op in ops {
            requests.append(try Self.request(for: op))
        }
        switch try await execute(.multi(requests), path: nil) {
        case .multi(let results):
            return results.map { result in
                switch result {
                case .create(let path): .create(path: path, stat: nil)
                case .create2(_, let path, let stat): .create(path: path, stat: stat)
                case .delete: .delete
                case .setData(let stat): .setData(stat)
                case .check: .check
                case .error(let code): .error(code)
                case .getData, .getChildren: .error(.marshallingError)
                }
            }
        case let other:
            throw Self.unexpected(other, path: nil)
        }
    }

    /// Runs several reads in one round trip (multiRead, op 22). Each read succeeds or fails on its own.
    public func multiRead(_ ops: [ReadOp]) async throws -> [ReadOpResult] {
        let requests: [ZKRequest] = ops.map { op in
            switch op {
            case .getData(let path): .getData(PathWatchRequest(path: path, watch: false))
            case .getChildren(let path): .getChildren(PathWatchRequest(path: path, watch: false))
            }
        }
        switch try await execute(.multiRead(requests), path: nil) {
        case .multi(let results):
            return results.map { result in
                switch result {
                case .getData(let data, let stat): .getData(data: data.map { Array($0.readableBytesView) } ?? [], stat: stat)
                case .getChildren(let children): .getChildren(children)
                case .error(let code): .error(code)
                default: .error(.marshallingError)
                }
            }
        case let other:
            throw Self.unexpected(other, path: nil)
        }
    }

    // MARK: - Auth

    /// Adds credentials to this session (`addAuthInfo`), e.g. `addAuth(scheme: "digest",
    /// credential: Array("user:password".utf8))`. Returns once the server accepted them; they are
    /// replayed after every reconnect. An `AUTHFAILED` answer closes the client (as in ZooKeeper).
    public func addAuth(scheme: String, credential: [UInt8]) async throws {
        try await addAuthPacket(AuthPacket(type: 0, scheme: scheme, auth: credential))
    }

    /// The identities this connection is authenticated as (op 107).
    public func whoAmI() async throws -> [ClientInfo] {
        switch try await execute(.whoAmI, path: nil) {
        case .whoAmI(let infos): return infos
        case let other: throw Self.unexpected(other, path: nil)
        }
    }

    // MARK: - Watches

    /// Sets a persistent watch on `path` (op 106): `.persistent` fires data and child events for the
    /// node, `.persistentRecursive` fires NodeCreated/Deleted/DataChanged for the node and every
    /// descendant. Removed only by `removeWatches`; re-registered after reconnects.
    public func addWatch(_ path: String, mode: AddWatchMode) async throws {
        _ = try await execute(.addWatch(AddWatchRequest(path: path, mode: mode.rawValue)), path: path)
    }

    /// Removes this client's watches of `type` on `path` (op 18); `.noWatcher` if there were none.
    /// Delivers DataWatchRemoved / ChildWatchRemoved / PersistentWatchRemoved on `watchEvents()`.
    public func removeWatches(_ path: String, type: WatcherType) async throws {
        _ = try await execute(.removeWatches(WatchesRequest(path: path, type: type.rawValue)), path: path)
    }

    /// Throws `.noWatcher` unless this client has a watch of `type` on `path` (op 17).
    public func checkWatches(_ path: String, type: WatcherType) async throws {
        _ = try await execute(.checkWatches(WatchesRequest(path: path, type: type.rawValue)), path: path)
    }

    // MARK: - Helpers

    private static func unexpected(_ response: ZKResponse, path: String?) -> ZooKeeperError {
        // The state machine decodes each body by the request's op code, so this is a bug.
        assertionFailure("unexpected response \(response)")
        return ZooKeeperError(code: .marshallingError, path: path)
    }

    static func createRequest(
        _ path: String,
        data: [UInt8],
        acl: [ACL],
        mode: CreateMode,
        ttl: Int64?,
        wantStat: Bool
    ) throws(ZooKeeperError) -> ZKRequest {
        let body = CreateRequest(path: path, data: ByteBuffer(bytes: data), acl: acl, flags: mode.rawValue, ttl: nil)
        if mode.isTTL {
            guard let ttl, ttl > 0, ttl <= EphemeralOwner.maxTTL else {
                throw ZooKeeperError(code: .badArguments, path: path)
            }
            var withTTL = body
            withTTL.ttl = ttl
            return .createTTL(withTTL)
        }
        guard ttl == nil else { throw ZooKeeperError(code: .badArguments, path: path) }
        if mode.isContainer { return .createContainer(body) }
        return wantStat ? .create2(body) : .create(body)
    }

    static func request(for op: Op) throws(ZooKeeperError) -> ZKRequest {
        switch op {
        case .create(let path, let data, let acl, let mode, let ttl):
            return try createRequest(path, data: data, acl: acl, mode: mode, ttl: ttl, wantStat: false)
        case .delete(let path, let version):
            return .delete(DeleteRequest(path: path, version: version))
        case .setData(let path, let data, let version):
            return .setData(SetDataRequest(path: path, data: ByteBuffer(bytes: data), version: version))
        case .check(let path, let version):
            return .check(CheckVersionRequest(path: path, version: version))
        }
    }
}
