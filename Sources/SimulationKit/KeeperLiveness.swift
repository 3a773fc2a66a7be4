import Consensus
import ZNodeTree
import KeeperReplica
import NIOCore
import ZooKeeperWire

extension KeeperSimulation {
    /// Liveness after healing: every member restarted and reachable, the network reliable, new
    /// workload stopped. Within bounded ticks a leader is followed by everyone; every request in
    /// flight is answered or its connection closed by its member (a client giving up on a request
    /// after healing counts as a failure); every client gets a session and a fresh write answered;
    /// every member applies the same sequence through the highest acknowledged write and holds
    /// the reference tree. Returns what failed, or nil (check `violation` too).
    package mutating func checkLiveAfterHealing() -> String? {
        guard violation == nil else { return nil }
        heal()
        network.dropPerMille = 0
        network.duplicatePerMille = 0
        network.longDelayPerMille = 0
        for id in ids { restart(id) }
        workloadEnabled = false
        clientTimeoutsEnabled = false
        trace.append(now, .note("liveness: healed, workload stopped"))
        let electionBound = 30 * options.electionTicks
        guard run(upTo: electionBound, until: { $0.stableLeader != nil }) else {
            return "no stable leader within \(electionBound) ticks of healing"
        }
        if !run(upTo: 300, until: { $0.clientsIdle }) {
            let stuck = clients.flatMap { c in
                c.outstanding.filter { !$0.isPing }.map { KeeperChecker.RequestKey(session: c.session ?? .none, xid: $0.xid) }
            }
            let description = stuck.map { "\($0.session)/xid \($0.xid)" }.joined(separator: ", ")
            guard !options.lostForwardHangsAreFatal, stuck.allSatisfy({ lostForwards.contains($0) }) else {
                return "requests in flight still unanswered 300 ticks after healing (\(description)): their member "
                    + "neither answered nor closed the connection"
            }
            hangs.append(
                "requests \(description) hung until the client gave up: their forward to the leader was lost on a "
                    + "link that went down, and no leader change closed their connection")
            clientTimeoutsEnabled = true
            _ = run(upTo: 100, until: { $0.clientsIdle })
            clientTimeoutsEnabled = false
        }
        // A fresh write from every client. A client that reconnected its old session to a member
        // that still had it may lose the session right after (a snapshot or the closeSession
        // arrives): it gets a new session and writes again.
        var answered = Set<Int>()
        for attempt in 1...3 {
            guard run(upTo: 300, until: { e in e.clients.allSatisfy { $0.established && $0.session != nil } }) else {
                return "clients could not all get a session within 300 ticks of healing"
            }
            let before = clients.map(\.answered)
            for c in clients.indices where !answered.contains(c) {
                var data = ByteBuffer()
                data.writeString("probe")
                probe(c, .create(CreateRequest(path: "/live-\(c)-\(attempt)", data: data, acl: ACL.openUnsafe, flags: 0)))
            }
            guard run(upTo: 200, until: { $0.clientsIdle }) else {
                return "fresh writes after healing not answered within 200 ticks"
            }
            for c in clients.indices where clients[c].answered > before[c] { answered.insert(c) }
            if answered.count == clients.count { break }
        }
        if answered.count < clients.count {
            return "fresh writes after healing: only clients \(answered.sorted()) of \(clients.count) got answers"
        }
        let converged = run(upTo: 200) { e in
            e.members.allSatisfy { m in
                guard let node = m.node else { return false }
                return node.tree.lastZxid == e.checker.reference.lastZxid
                    && node.appliedIndex >= e.checker.highestAcknowledged
            }
        }
        guard converged else {
            return "members did not converge on the committed sequence (reference zxid \(checker.reference.lastZxid), "
                + "highest acknowledged index \(checker.highestAcknowledged))"
        }
        finalCheck()
        return nil
    }

    /// Submits `request` from client `c` now (it must hold an established session).
    mutating func probe(_ c: Int, _ request: ZKRequest) {
        guard clients[c].established else { return }
        submitRequest(c, request)
    }
}
