package import ZooKeeperWire

/// Client-side path rewriting for a chrooted connect string (`ZooKeeper.prependChroot` /
/// `ClientCnxn.stripChroot`): every path the caller passes is prefixed with the chroot on the way out,
/// and every path the server returns (create responses, sync, multi results, ephemerals, watch events)
/// has it stripped on the way back.
package struct Chroot: Hashable, Sendable {
    /// `/app/a`, without a trailing slash; nil when there is no chroot.
    package let prefix: String?

    package init(_ prefix: String?) {
        self.prefix = prefix
    }

    package static let none = Chroot(nil)

    /// A chroot is an absolute path without a trailing slash, empty components, `.` or `..`.
    static func isValidChroot(_ path: String) -> Bool {
        guard path.hasPrefix("/"), path.count > 1, !path.hasSuffix("/") else { return false }
        for component in path.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            if component.isEmpty || component == "." || component == ".." { return false }
        }
        return true
    }

    /// The server path for a client path: `/` maps to the chroot itself.
    package func serverPath(_ clientPath: String) -> String {
        guard let prefix else { return clientPath }
        return clientPath == "/" ? prefix : prefix + clientPath
    }

    /// The client path for a server path. Paths outside the chroot are returned unchanged
    /// (ZooKeeper does the same and logs a warning).
    package func clientPath(_ serverPath: String) -> String {
        guard let prefix, serverPath.hasPrefix(prefix) else { return serverPath }
        let rest = serverPath.dropFirst(prefix.count)
        if rest.isEmpty { return "/" }
        guard rest.first == "/" else { return serverPath }
        return String(rest)
    }

    // MARK: - Requests

    /// Rewrites every path of `request` for the server; nil when a path is not absolute
    /// (the caller fails the request with `.badArguments`).
    package func outbound(_ request: ZKRequest) -> ZKRequest? {
        if let path = request.path, !path.hasPrefix("/") { return nil }
        guard prefix != nil else {
            switch request {
            case .multi(let ops), .multiRead(let ops):
                for op in ops { if let path = op.path, !path.hasPrefix("/") { return nil } }
            default: break
            }
            return request
        }
        switch request {
        case .create(var r):
            r.path = serverPath(r.path)
            return .create(r)
        case .create2(var r):
            r.path = serverPath(r.path)
            return .create2(r)
        case .createContainer(var r):
            r.path = serverPath(r.path)
            return .createContainer(r)
        case .createTTL(var r):
            r.path = serverPath(r.path)
            return .createTTL(r)
        case .delete(var r):
            r.path = serverPath(r.path)
            return .delete(r)
        case .exists(var r):
            r.path = serverPath(r.path)
            return .exists(r)
        case .getData(var r):
            r.path = serverPath(r.path)
            return .getData(r)
        case .getChildren(var r):
            r.path = serverPath(r.path)
            return .getChildren(r)
        case .getChildren2(var r):
            r.path = serverPath(r.path)
            return .getChildren2(r)
        case .setData(var r):
            r.path = serverPath(r.path)
            return .setData(r)
        case .getACL(let path):
            return .getACL(path: serverPath(path))
        case .setACL(var r):
            r.path = serverPath(r.path)
            return .setACL(r)
        case .sync(let path):
            return .sync(path: serverPath(path))
        case .check(var r):
            r.path = serverPath(r.path)
            return .check(r)
        case .multi(let ops):
            var rewritten: [ZKRequest] = []
            rewritten.reserveCapacity(ops.count)
            for op in ops {
                guard let op = outbound(op) else { return nil }
                rewritten.append(op)
            }
            return .multi(rewritten)
        case .multiRead(let ops):
            var rewritten: [ZKRequest] = []
            rewritten.reserveCapacity(ops.count)
            for op in ops {
                guard let op = outbound(op) else { return nil }
                rewritten.append(op)
            }
            return .multiRead(rewritten)
        case .checkWatches(var r):
            r.path = serverPath(r.path)
            return .checkWatches(r)
        case .removeWatches(var r):
            r.path = serverPath(r.path)
            return .removeWatches(r)
        case .addWatch(var r):
            r.path = serverPath(r.path)
            return .addWatch(r)
        case .getEphemerals(let prefixPath):
            return .getEphemerals(prefixPath: serverPath(prefixPath))
        case .getAllChildrenNumber(let path):
            return .getAllChildrenNumber(path: serverPath(path))
        case .ping, .reconfig, .auth, .sasl, .whoAmI, .closeSession, .setWatches, .setWatches2:
            // SetWatches is built from the watch registry, which already holds server paths.
            return request
        }
    }

    // MARK: - Responses

    /// Strips the chroot from every path in a response.
    package func inbound(_ response: ZKResponse) -> ZKResponse {
        guard prefix != nil else { return response }
        switch response {
        case .create(let path):
            return .create(path: clientPath(path))
        case .create2(let path, let stat):
            return .create2(path: clientPath(path), stat: stat)
        case .sync(let path):
            return .sync(path: clientPath(path))
        case .getEphemerals(let paths):
            return .getEphemerals(paths.map(clientPath))
        case .multi(let results):
            return .multi(
                results.map { result in
                    switch result {
                    case .create(let path): .create(path: clientPath(path))
                    case .create2(let op, let path, let stat): .create2(op: op, path: clientPath(path), stat: stat)
                    default: result
                    }
                }
            )
        default:
            return response
        }
    }
}
