package import Broker
import Consensus
package import KafkaZooKeeper
package import SegmentLog
package import TestSupport

/// A deterministic simulation of Kafka-style replication of one partition (STYLE.md §7.3): three
/// brokers, a controller, a fake ZooKeeper holding the partition state znode, producers (acks=all)
/// and consumers, over one event queue and a fake clock. The decisions are the production pure
/// types': `PartitionReplication` (the leader's follower offsets, high watermark, ISR changes,
/// acks=all outcome), `FollowerTruncation` and `LeaderEpochCache` (KIP-101/279 divergence),
/// `PartitionLeaderElection` (the controller). The driver around them mirrors `PartitionManager`,
/// `ReplicaFetcherManager` and the Fetch/Produce/OffsetForLeaderEpoch handlers, step for step and
/// without their I/O. `BrokerReplicationChecker` runs after every event; the same seed replays
/// the same run.
///
/// Faults: SIGKILL and restart (the log survives, memory and the fresh high watermark do not),
/// SIGSTOP/SIGCONT, a broker cut off from the ensemble, network partitions, delays and losses.
package struct BrokerReplicationSimulation: DiscreteEventSimulation, Sendable {
    // MARK: - Messages and events

    /// The leader and leader epoch a follower follows (`PartitionManager.Following`).
    package struct Following: Hashable, Sendable {
        package var leader: BrokerID
        package var leaderEpoch: Int32
    }

    /// The Kafka error codes the simulated requests can answer.
    package enum KafkaError: Error, Hashable, Sendable {
        case notLeaderOrFollower, fencedLeaderEpoch, unknownLeaderEpoch, offsetOutOfRange
        case notEnoughReplicas, notEnoughReplicasAfterAppend, requestTimedOut, storageError
    }

    struct Fetched: Sendable {
        var records: [SimulatedRecord]
        var highWatermark: LogOffset
    }

    enum Message: Sendable {
        case offsetForLeaderEpoch(Following, latest: LeaderEpoch, seq: Int)
        case offsetForLeaderEpochAnswer(Following, seq: Int, Result<FollowerTruncation.LeaderAnswer, KafkaError>)
        case fetch(Following, offset: LogOffset, seq: Int)
        case fetchAnswer(Following, seq: Int, offset: LogOffset, Result<Fetched, KafkaError>)
        case produce(id: Int, records: [UInt64])
        case produceAnswer(id: Int, Result<LogOffset, KafkaError>)
        case consumerFetch(id: Int, offset: LogOffset)
        case consumerFetchAnswer(id: Int, Result<[SimulatedRecord], KafkaError>)
    }

    package struct Envelope: Sendable {
        var from: NodeID
        var to: NodeID
        var message: Message
    }

    /// A leader's ISR write on its way to the ensemble (`BrokerServer.writeISR`).
    package struct ISRWrite: Sendable {
        var broker: BrokerID
        var incarnation: Int
        var session: Int
        var proposed: PartitionState
        var version: Int32
        var change: PartitionReplication.PendingChange
    }

    /// Something that happens inside one broker process.
    package enum BrokerEvent: Sendable {
        case metadataRefresh
        case lagCheck
        case checkpoint
        case fetcherWake(seq: Int)
        case fetchWaitExpired(id: Int)
        case produceDeadline(id: Int)
        case isrWriteResult(ISRWrite, BrokerServer.ISRWriteResult)
    }

    package enum Event: Sendable {
        case deliver(Envelope)
        case broker(BrokerID, incarnation: Int, BrokerEvent)
        case isrWriteArrives(ISRWrite)
        case sessionCheck(BrokerID, stoppedAt: Int64)
        case controllerRefresh
        case controllerWrite(PartitionState, version: Int32?)
        case brokerStarts(BrokerID, incarnation: Int)
        case producer(Int, generation: Int)
        case consumer(Int, generation: Int)
    }

    // MARK: - Brokers

    /// The leader side of a partition this broker serves (`PartitionManager.LeaderState`).
    struct LeaderState: Sendable {
        var replication: PartitionReplication
        var zkVersion: Int32
        var controllerEpoch: Int32
        /// `PartitionManager.LeaderState.writing`: the pending ISR change is being written.
        var writing = false
    }

    /// The follower side (`ReplicaFetcher`'s session for the partition).
    struct FollowerState: Sendable {
        var following: Following
        /// Truncated for `following.leaderEpoch` (the fetcher's `session.truncated`).
        var truncated = false
        /// The request (or backoff) the fetcher waits for.
        var waiting: Int?
    }

    struct ParkedProduce: Sendable {
        var id: Int
        var from: NodeID
        var epoch: LeaderEpoch
        var base: LogOffset
        var required: LogOffset
        var records: [UInt64]
    }

    struct ParkedFetch: Sendable {
        var id: Int
        var from: NodeID
        var following: Following
        var seq: Int
        var offset: LogOffset
    }

    /// What a broker process keeps in memory: lost on a crash.
    struct BrokerProcess: Sendable {
        var metadata: (state: PartitionState, version: Int32)?
        var leader: LeaderState?
        var follower: FollowerState?
        var parkedProduces: [ParkedProduce] = []
        var parkedFetches: [ParkedFetch] = []
    }

    struct SimulatedBroker: Sendable {
        let id: BrokerID
        /// On disk: survives crashes.
        var log = SimulatedPartitionLog()
        var process: BrokerProcess?
        /// Bumped by every crash, so events of an earlier life are ignored.
        var incarnation = 0
        var paused = false
        var cutFromZooKeeper = false
        /// Events that arrived while paused, run on resume.
        var deferred: [Event] = []
        /// The live ZooKeeper session (and so registration under /brokers/ids), if any.
        var session: Int?
        /// Since when the session gets no heartbeats (the process is down, stopped or cut off).
        var heartbeatStoppedAt: Int64?
        var restartRequested = false
    }

    struct Producer: Sendable {
        var leader: BrokerID?
        var inFlight: Int?
        var generation = 0
    }

    struct Consumer: Sendable {
        var leader: BrokerID?
        var inFlight: Int?
        var position: LogOffset = 0
        var generation = 0
    }

    // MARK: - State

    package let seed: UInt64
    package let options: BrokerReplicationOptions
    package var random: Xoshiro256StarStar
    package var network = FakeNetwork()
    package private(set) var checker = BrokerReplicationChecker()
    package var loop = SimulationLoop<Event>()
    private var brokers: [SimulatedBroker]
    private var producers: [Producer]
    private var consumers: [Consumer]
    private var trace = BrokerReplicationTrace(capacity: 60)
    /// The partition state znode and its data version.
    package private(set) var znode: PartitionState?
    package private(set) var znodeVersion: Int32 = -1
    /// The controller is between reading the state and its write landing.
    private var controllerBusy = false
    /// Something changed while it was busy: it reads again after the write.
    private var controllerRefreshPending = false
    private var nextSession = 1
    private var nextRequest = 1
    private var nextRecordID: UInt64 = 1
    private let controllerEpoch: Int32 = 1
    /// Probability (per mille) that a leader's ISR write is applied by the ensemble but reported to
    /// the broker as failed: the connection dropped before the answer (`ZooKeeperClient` fails
    /// requests in flight with `.connectionLoss`, "may or may not have been applied";
    /// `BrokerServer.writeISR` returns `.failed`). See `BrokerReplicationSimulationTests`.
    package var ambiguousISRWritePerMille = 0

    // Counters, for tests and reports.
    package private(set) var truncations = 0
    /// Truncations whose decision asked again (KIP-279's extra round trip).
    package private(set) var incompleteTruncations = 0
    package private(set) var elections = 0
    package private(set) var isrShrinks = 0
    package private(set) var isrExpansions = 0
    package private(set) var isrConflicts = 0
    package private(set) var refusedNotEnoughReplicas = 0

    package init(seed: UInt64, options: BrokerReplicationOptions = BrokerReplicationOptions()) {
        self.seed = seed
        self.options = options
        self.random = Xoshiro256StarStar(seed: seed)
        self.brokers = options.replicas.map { SimulatedBroker(id: $0) }
        self.producers = Array(repeating: Producer(), count: options.producers)
        self.consumers = Array(repeating: Consumer(), count: options.consumers)
        for k in brokers.indices {
            loop.schedule(.brokerStarts(brokers[k].id, incarnation: 0), at: Int64(k + 1))
        }
        loop.schedule(.controllerRefresh, at: 10)
        for p in producers.indices { loop.schedule(.producer(p, generation: 0), at: 20 + Int64(p)) }
        for c in consumers.indices { loop.schedule(.consumer(c, generation: 0), at: 25 + Int64(c)) }
    }

    // MARK: - Observing

    package var brokerIDs: [BrokerID] { brokers.map(\.id) }
    package var violation: String? { checker.violation }
    package func log(of id: BrokerID) -> SimulatedPartitionLog { brokers[index(id)].log }
    package func isUp(_ id: BrokerID) -> Bool { brokers[index(id)].process != nil }
    package func isPaused(_ id: BrokerID) -> Bool { brokers[index(id)].paused }
    /// The leader epoch `id` serves as leader in, if it does.
    package func servingEpoch(_ id: BrokerID) -> LeaderEpoch? {
        brokers[index(id)].process?.leader?.replication.leaderEpoch
    }
    /// The high watermark of the broker serving as leader in the znode's epoch.
    package var leaderHighWatermark: LogOffset? {
        guard let znode, znode.leader != .noLeader, let process = brokers[index(znode.leader)].process,
            let leader = process.leader, leader.replication.leaderEpoch.rawValue == znode.leaderEpoch
        else { return nil }
        return leader.replication.highWatermark
    }
    /// Followers that cannot take what their leader sends: the latest entry of their epoch cache
    /// starts at their log end (an epoch they led without appending anything), newer than the
    /// epoch of the leader's record there, so `appendAsFollower` refuses it, and their truncation
    /// (to their own log end) did not drop the entry. Kafka's `UnifiedLog.truncateTo` truncates the
    /// epoch cache even when the log is not truncated, for this case.
    package var followersStuckBehindEmptyEpoch: [BrokerID] {
        brokers.filter { b in
            guard let follower = b.process?.follower, follower.truncated,
                let latest = b.log.epochs.entries.last, latest.startOffset == b.log.logEndOffset,
                let next = brokers.first(where: { $0.id == follower.following.leader })?.log.record(at: latest.startOffset)
            else { return false }
            return next.epoch < latest.epoch
        }.map(\.id)
    }

    package var acknowledgedCount: Int { checker.acknowledgedCount }
    package var readCount: Int { checker.readCount }

    /// The seed, the violation (if any), the brokers and the last events, for a failure message.
    package var report: String {
        var text = "seed \(seed) (replay with SIM_SEED=\(seed)) at \(now) ms, event \(eventCount)"
        if let violation { text += "\nviolation: \(violation)" }
        if let znode {
            text += "\nznode v\(znodeVersion): leader \(znode.leader) epoch \(znode.leaderEpoch) isr \(znode.isr)"
        }
        text += "\ncommitted end \(checker.committedEnd), acknowledged \(checker.acknowledgedCount), read \(checker.readCount)"
        for b in brokers {
            var line = "\n  b\(b.id): "
            if let process = b.process {
                if let leader = process.leader {
                    line += "leader e\(leader.replication.leaderEpoch) isr \(leader.replication.isr) "
                        + "hw \(leader.replication.highWatermark)"
                } else if let follower = process.follower {
                    line += "follows b\(follower.following.leader) e\(follower.following.leaderEpoch)"
                } else {
                    line += "idle"
                }
                if b.paused { line += " (stopped)" }
            } else {
                line += "down"
            }
            line += b.session == nil ? ", no session" : ""
            line += "; log end \(b.log.logEndOffset) hw \(b.log.highWatermark) (checkpoint \(b.log.checkpointedHighWatermark)) "
            line += "epochs \(b.log.epochs.entries.map { "\($0.epoch)@\($0.startOffset)" })"
            text += line
        }
        text += "\nlast events:\n" + trace.formatted()
        return text
    }

    private func index(_ id: BrokerID) -> Int { brokers.firstIndex { $0.id == id }! }
    private func node(_ id: BrokerID) -> NodeID { NodeID(Int(id.rawValue)) }
    private func producerNode(_ p: Int) -> NodeID { NodeID(100 + p) }
    private func consumerNode(_ c: Int) -> NodeID { NodeID(200 + c) }

    // MARK: - Running

    /// Runs for `ms` milliseconds of simulated time (or until an invariant fails).
    package mutating func run(ms: Int64) { run(steps: ms) }

    /// Runs until `condition` holds (checked every 10 ms), at most `ms`; whether it held.
    package mutating func run(upTo ms: Int64, until condition: (BrokerReplicationSimulation) -> Bool) -> Bool {
        run(upTo: ms, every: 10, until: condition)
    }

    package mutating func handle(_ event: Event) {
        perform(event)
        check()
    }

    private mutating func check() {
        let brokers = self.brokers
        checker.check(state: znode) { id in brokers.first { $0.id == id }?.log }
        for b in brokers { checker.checkEpochs(b.id, b.log) }
        for b in brokers {
            guard let leader = b.process?.leader else { continue }
            if leader.replication.highWatermark > b.log.logEndOffset {
                checker.fail("b\(b.id): high watermark \(leader.replication.highWatermark) past log end \(b.log.logEndOffset)")
            }
        }
    }

    private mutating func schedule(_ event: Event, after delay: Int64) {
        loop.schedule(event, at: now + max(delay, 0))
    }

    private mutating func delay(_ range: ClosedRange<Int64>) -> Int64 { Int64.random(in: range, using: &random) }

    private mutating func perform(_ event: Event) {
        switch event {
        case .deliver(let envelope):
            deliver(envelope)
        case .broker(let id, let incarnation, let brokerEvent):
            let k = index(id)
            guard brokers[k].incarnation == incarnation, brokers[k].process != nil else { return }
            guard !brokers[k].paused else {
                brokers[k].deferred.append(event)
                return
            }
            handleBrokerEvent(k, brokerEvent)
        case .isrWriteArrives(let write):
            isrWriteArrives(write)
        case .sessionCheck(let id, let stoppedAt):
            let k = index(id)
            guard brokers[k].heartbeatStoppedAt == stoppedAt, brokers[k].session != nil else { return }
            brokers[k].session = nil
            trace.append(now, .fault("b\(id)'s session expired"))
            schedule(.controllerRefresh, after: delay(options.controllerNoticeDelay))
        case .controllerRefresh:
            controllerRefresh()
        case .controllerWrite(let state, let version):
            controllerWrite(state, expected: version)
        case .brokerStarts(let id, let incarnation):
            start(index(id), incarnation: incarnation)
        case .producer(let p, let generation):
            producerTick(p, generation: generation)
        case .consumer(let c, let generation):
            consumerTick(c, generation: generation)
        }
    }

    private mutating func handleBrokerEvent(_ k: Int, _ event: BrokerEvent) {
        let id = brokers[k].id
        let incarnation = brokers[k].incarnation
        switch event {
        case .metadataRefresh:
            guard brokers[k].session != nil, !brokers[k].cutFromZooKeeper, let znode else { return }
            brokers[k].process!.metadata = (znode, znodeVersion)
            follow(k)
        case .lagCheck:
            schedule(.broker(id, incarnation: incarnation, .lagCheck), after: max(options.replicaLagTimeMaxMs / 2, 10))
            guard brokers[k].process!.leader != nil else { return }
            // An ISR change whose write had no known outcome is written again (`checkFollowerLag`).
            let unwritten = brokers[k].process!.leader!.replication.pending != nil && !brokers[k].process!.leader!.writing
            let update = brokers[k].process!.leader!.replication.checkLag(nowMs: now)
            apply(update, k)
            if unwritten { writeProposedISR(k) }
        case .checkpoint:
            schedule(.broker(id, incarnation: incarnation, .checkpoint), after: options.checkpointIntervalMs)
            if let leader = brokers[k].process!.leader {
                brokers[k].log.updateHighWatermark(leader.replication.highWatermark)
            }
            brokers[k].log.checkpoint()
        case .fetcherWake(let seq):
            guard brokers[k].process!.follower?.waiting == seq else { return }
            brokers[k].process!.follower!.waiting = nil
            kickFetcher(k)
        case .fetchWaitExpired(let id):
            guard let i = brokers[k].process!.parkedFetches.firstIndex(where: { $0.id == id }) else { return }
            let parked = brokers[k].process!.parkedFetches.remove(at: i)
            answerFetch(k, parked, mayPark: false)
        case .produceDeadline(let id):
            guard let i = brokers[k].process!.parkedProduces.firstIndex(where: { $0.id == id }) else { return }
            let parked = brokers[k].process!.parkedProduces.remove(at: i)
            trace.append(now, .refused(brokers[k].id, "produce \(parked.id): timed out"))
            send(from: node(brokers[k].id), to: parked.from, .produceAnswer(id: parked.id, .failure(.requestTimedOut)))
        case .isrWriteResult(let write, let result):
            isrWriteResult(k, write, result)
        }
    }

    // MARK: - Network

    private mutating func send(from: NodeID, to: NodeID, _ message: Message) {
        guard network.connected(from, to), network.connected(to, from) else { return }
        guard !random.chance(perMille: network.dropPerMille) else { return }
        var delay = Int64.random(in: network.minDelay...network.maxDelay, using: &random)
        if random.chance(perMille: network.longDelayPerMille) {
            delay += Int64.random(in: 0...network.longDelay, using: &random)
        }
        schedule(.deliver(Envelope(from: from, to: to, message: message)), after: delay)
    }

    private mutating func deliver(_ envelope: Envelope) {
        switch envelope.message {
        case .produceAnswer(let id, let result):
            producerAnswered(envelope.to.rawValue - 100, id: id, result)
            return
        case .consumerFetchAnswer(let id, let result):
            consumerAnswered(envelope.to.rawValue - 200, id: id, result)
            return
        default:
            break
        }
        guard let k = brokers.firstIndex(where: { node($0.id) == envelope.to }), brokers[k].process != nil else { return }
        guard !brokers[k].paused else {
            brokers[k].deferred.append(.deliver(envelope))
            return
        }
        let from = envelope.from
        switch envelope.message {
        case .offsetForLeaderEpoch(let following, let latest, let seq):
            answerOffsetForLeaderEpoch(k, from: from, following, latest: latest, seq: seq)
        case .offsetForLeaderEpochAnswer(let following, let seq, let result):
            offsetForLeaderEpochAnswered(k, following, seq: seq, result)
        case .fetch(let following, let offset, let seq):
            followerFetch(k, from: from, following, offset: offset, seq: seq)
        case .fetchAnswer(let following, let seq, let offset, let result):
            fetchAnswered(k, following, seq: seq, offset: offset, result)
        case .produce(let id, let records):
            produce(k, from: from, id: id, records: records)
        case .consumerFetch(let id, let offset):
            consumerFetch(k, from: from, id: id, offset: offset)
        case .produceAnswer, .consumerFetchAnswer:
            break
        }
    }

    // MARK: - ZooKeeper and the controller

    /// Tells every broker with a session that the state znode changed (its watch fires).
    private mutating func notifyBrokers() {
        for b in brokers where b.process != nil && b.session != nil && !b.cutFromZooKeeper {
            schedule(.broker(b.id, incarnation: b.incarnation, .metadataRefresh), after: delay(options.metadataDelay))
        }
    }

    private mutating func writeZnode(_ state: PartitionState, writer: String) {
        znode = state
        znodeVersion += 1
        trace.append(now, .znode(state, version: znodeVersion, writer: writer))
        notifyBrokers()
    }

    /// The controller reads the registered brokers and the state znode and decides
    /// (`ControllerStateMachine.reconcilePartitions`); its write lands a little later, version-checked.
    private mutating func controllerRefresh() {
        guard !controllerBusy else {
            controllerRefreshPending = true
            return
        }
        let live = Set(brokers.filter { $0.session != nil }.map(\.id))
        guard let current = znode else {
            if let initial = PartitionLeaderElection.initialState(
                replicas: options.replicas, live: live, controllerEpoch: controllerEpoch)
            {
                controllerBusy = true
                schedule(.controllerWrite(initial, version: nil), after: delay(options.controllerWriteDelay))
            }
            return
        }
        guard
            let (next, _) = PartitionLeaderElection.reconcile(
                current, replicas: options.replicas, live: live, controllerEpoch: controllerEpoch, unclean: false)
        else { return }
        controllerBusy = true
        schedule(.controllerWrite(next, version: znodeVersion), after: delay(options.controllerWriteDelay))
    }

    /// The controller's write lands; it then reads again if anything changed meanwhile (its events
    /// are handled one at a time, as `KafkaController`'s event queue does).
    private mutating func controllerWrite(_ state: PartitionState, expected: Int32?) {
        controllerBusy = false
        if expected == (znode == nil ? nil : znodeVersion) {
            if let old = znode, old.leader != state.leader { elections += 1 }
            writeZnode(state, writer: "controller")
        } else {
            trace.append(now, .conflict(writer: "controller", expected: expected ?? -1, actual: znodeVersion))
            controllerRefreshPending = true
        }
        if controllerRefreshPending {
            controllerRefreshPending = false
            schedule(.controllerRefresh, after: 1)
        }
    }

    /// A leader's ISR write reaches the ensemble: applied if the broker's session is alive and the
    /// version matches (`setData` with a version).
    private mutating func isrWriteArrives(_ write: ISRWrite) {
        let k = index(write.broker)
        let result: BrokerServer.ISRWriteResult
        // `BrokerServer.writeISR`: a refused or unanswered write is read back; only when the ensemble
        // cannot be reached at all does the outcome stay unknown (`.failed`).
        func readBack() -> BrokerServer.ISRWriteResult {
            znode == write.proposed ? .written(version: znodeVersion) : .conflict
        }
        if brokers[k].session != write.session || brokers[k].cutFromZooKeeper {
            result = .failed("session expired")
        } else if write.version != znodeVersion {
            trace.append(now, .conflict(writer: "b\(write.broker)", expected: write.version, actual: znodeVersion))
            result = readBack()
        } else {
            writeZnode(write.proposed, writer: "b\(write.broker)")
            if random.chance(perMille: ambiguousISRWritePerMille) {
                // The answer is lost; so, half the time, is the read-back.
                result = random.chance(perMille: 500) ? .failed("connection loss after the write") : readBack()
            } else {
                result = .written(version: znodeVersion)
            }
        }
        schedule(
            .broker(write.broker, incarnation: write.incarnation, .isrWriteResult(write, result)),
            after: delay(options.zooKeeperDelay))
    }

    // MARK: - Broker: metadata (PartitionManager.follow)

    private mutating func start(_ k: Int, incarnation: Int) {
        guard brokers[k].incarnation == incarnation, brokers[k].process == nil else { return }
        guard !brokers[k].cutFromZooKeeper, brokers[k].session == nil else {
            // Cannot register yet (cut off, or the previous session still holds the registration).
            schedule(.brokerStarts(brokers[k].id, incarnation: incarnation), after: 20)
            return
        }
        let id = brokers[k].id
        brokers[k].restartRequested = false
        brokers[k].process = BrokerProcess()
        brokers[k].log.reopen()
        brokers[k].session = nextSession
        nextSession += 1
        brokers[k].heartbeatStoppedAt = nil
        trace.append(now, .fault("b\(id) started, log end \(brokers[k].log.logEndOffset), hw \(brokers[k].log.highWatermark)"))
        schedule(.controllerRefresh, after: delay(options.controllerNoticeDelay))
        schedule(.broker(id, incarnation: incarnation, .metadataRefresh), after: delay(options.metadataDelay))
        schedule(.broker(id, incarnation: incarnation, .lagCheck), after: max(options.replicaLagTimeMaxMs / 2, 10))
        schedule(.broker(id, incarnation: incarnation, .checkpoint), after: options.checkpointIntervalMs)
    }

    /// Acts on the metadata view: lead, follow, or neither.
    private mutating func follow(_ k: Int) {
        guard let (state, version) = brokers[k].process!.metadata else { return }
        let id = brokers[k].id
        if state.leader == id {
            if let leader = brokers[k].process!.leader, leader.replication.leaderEpoch.rawValue == state.leaderEpoch {
                brokers[k].process!.leader!.zkVersion = max(leader.zkVersion, version)
                return
            }
            serve(k, state, version: version)
        } else if state.leader != .noLeader, options.replicas.contains(id) {
            let following = Following(leader: state.leader, leaderEpoch: state.leaderEpoch)
            guard brokers[k].process!.follower?.following != following else { return }
            stopLeading(k)
            brokers[k].process!.follower = FollowerState(following: following)
            trace.append(now, .following(id, leader: state.leader, epoch: state.leaderEpoch))
            kickFetcher(k)
        } else {
            guard brokers[k].process!.leader != nil || brokers[k].process!.follower != nil else { return }
            stopLeading(k)
            brokers[k].process!.follower = nil
            trace.append(now, .stopped(id, epoch: state.leaderEpoch))
        }
    }

    /// `PartitionManager.serve`: the epoch's start offset goes into the cache, then a fresh
    /// `PartitionReplication` from the znode's ISR and the log's high watermark.
    private mutating func serve(_ k: Int, _ state: PartitionState, version: Int32) {
        let id = brokers[k].id
        let epoch = LeaderEpoch(state.leaderEpoch)
        brokers[k].process!.follower = nil
        brokers[k].log.assignLeaderEpoch(epoch)
        let log = brokers[k].log
        var replication = PartitionReplication(
            leader: id, leaderEpoch: epoch, replicas: options.replicas, isr: state.isr, logEndOffset: log.logEndOffset,
            highWatermark: log.highWatermark, minInsyncReplicas: options.minInsyncReplicas,
            replicaLagTimeMaxMs: options.replicaLagTimeMaxMs, nowMs: now)
        let update = replication.leaderAppended(logEndOffset: log.logEndOffset)
        brokers[k].process!.leader = LeaderState(
            replication: replication, zkVersion: version, controllerEpoch: state.controllerEpoch)
        checker.observeServing(id, epoch: epoch)
        trace.append(
            now,
            .leading(id, epoch, isr: replication.isr, logEnd: log.logEndOffset, highWatermark: replication.highWatermark))
        resolveParkedProduces(k)
        wakeParkedFetches(k)
        apply(update, k)
    }

    private mutating func stopLeading(_ k: Int) {
        guard brokers[k].process!.leader != nil else { return }
        brokers[k].process!.leader = nil
        resolveParkedProduces(k)
        wakeParkedFetches(k)
    }

    /// `KafkaRequestHandler.leaderEpoch(of:currentLeaderEpoch:)` + `servedLeaderEpoch`.
    private func leaderCheck(_ k: Int, currentLeaderEpoch: Int32) -> Result<LeaderEpoch, KafkaError> {
        guard let process = brokers[k].process, let (state, _) = process.metadata, state.leader == brokers[k].id else {
            return .failure(.notLeaderOrFollower)
        }
        if currentLeaderEpoch >= 0 && currentLeaderEpoch < state.leaderEpoch { return .failure(.fencedLeaderEpoch) }
        if currentLeaderEpoch > state.leaderEpoch { return .failure(.unknownLeaderEpoch) }
        guard process.leader != nil else { return .failure(.notLeaderOrFollower) }
        return .success(LeaderEpoch(state.leaderEpoch))
    }

    // MARK: - Broker: leader side

    /// `PartitionManager.apply`: a moved high watermark wakes parked produces; a proposed ISR change
    /// is written.
    private mutating func apply(_ update: PartitionReplication.Update, _ k: Int) {
        if let mark = update.highWatermark {
            brokers[k].log.updateHighWatermark(mark)
            trace.append(now, .highWatermark(brokers[k].id, mark))
            resolveParkedProduces(k)
        }
        if let change = update.proposeISR {
            trace.append(now, .isrProposed(brokers[k].id, change))
            writeProposedISR(k)
        }
    }

    /// `PartitionManager.writeProposedISR`: the pending change, at the version this leader knows.
    private mutating func writeProposedISR(_ k: Int) {
        guard let leader = brokers[k].process!.leader, let change = leader.replication.pending, !leader.writing else {
            return
        }
        brokers[k].process!.leader!.writing = true
        let id = brokers[k].id
        let write = ISRWrite(
            broker: id, incarnation: brokers[k].incarnation, session: brokers[k].session ?? 0,
            proposed: PartitionState(
                leader: id, leaderEpoch: leader.replication.leaderEpoch.rawValue, isr: change.isr,
                controllerEpoch: leader.controllerEpoch),
            version: leader.zkVersion, change: change)
        schedule(.isrWriteArrives(write), after: delay(options.zooKeeperDelay))
    }

    private mutating func isrWriteResult(_ k: Int, _ write: ISRWrite, _ result: BrokerServer.ISRWriteResult) {
        guard let leader = brokers[k].process!.leader, leader.replication.pending == write.change,
            leader.replication.leaderEpoch.rawValue == write.proposed.leaderEpoch
        else { return }
        brokers[k].process!.leader!.writing = false
        switch result {
        case .written(let version):
            brokers[k].process!.leader!.zkVersion = version
            let update = brokers[k].process!.leader!.replication.isrChangeCommitted()
            if case .shrink = write.change { isrShrinks += 1 } else { isrExpansions += 1 }
            trace.append(now, .isrResult(brokers[k].id, "committed: isr \(write.change.isr)"))
            apply(update, k)
            resolveParkedProduces(k)
        case .conflict:
            isrConflicts += 1
            brokers[k].process!.leader!.replication.isrChangeFailed()
            trace.append(now, .isrResult(brokers[k].id, "failed: \(result)"))
        case .failed:
            // Unknown outcome: stays pending, written again at the next lag check.
            trace.append(now, .isrResult(brokers[k].id, "unknown: \(result)"))
        }
    }

    /// OffsetForLeaderEpoch (`KafkaRequestHandler.offsetForLeaderEpoch`): the leader's epoch cache.
    private mutating func answerOffsetForLeaderEpoch(
        _ k: Int, from: NodeID, _ following: Following, latest: LeaderEpoch, seq: Int
    ) {
        let answer: Result<FollowerTruncation.LeaderAnswer, KafkaError>
        switch leaderCheck(k, currentLeaderEpoch: following.leaderEpoch) {
        case .failure(let error):
            answer = .failure(error)
        case .success:
            let log = brokers[k].log
            let entry = log.epochs.endOffset(for: latest, logEndOffset: log.logEndOffset)
            answer = .success(entry.map { .epochEnd(epoch: $0.epoch, endOffset: $0.startOffset) } ?? .undefined)
        }
        send(from: node(brokers[k].id), to: from, .offsetForLeaderEpochAnswer(following, seq: seq, answer))
    }

    /// A follower's Fetch (`KafkaRequestHandler.fetch`): its offset counts first (only in the
    /// leader's own epoch), then it is read, or parked while there is nothing to read.
    private mutating func followerFetch(_ k: Int, from: NodeID, _ following: Following, offset: LogOffset, seq: Int) {
        if let leader = brokers[k].process!.leader, leader.replication.leaderEpoch.rawValue == following.leaderEpoch {
            let replica = BrokerID(Int32(from.rawValue))
            let update = brokers[k].process!.leader!.replication.followerFetched(replica, fetchOffset: offset, nowMs: now)
            apply(update, k)
        }
        let id = nextRequest
        nextRequest += 1
        answerFetch(k, ParkedFetch(id: id, from: from, following: following, seq: seq, offset: offset), mayPark: true)
    }

    private mutating func answerFetch(_ k: Int, _ fetch: ParkedFetch, mayPark: Bool) {
        let result: Result<Fetched, KafkaError>
        switch leaderCheck(k, currentLeaderEpoch: fetch.following.leaderEpoch) {
        case .failure(let error):
            result = .failure(error)
        case .success:
            let log = brokers[k].log
            if fetch.offset < 0 || fetch.offset > log.logEndOffset {
                result = .failure(.offsetOutOfRange)
            } else {
                let start = Int(fetch.offset.rawValue)
                let end = min(log.records.count, start + options.maxRecordsPerFetch)
                if start == end && mayPark {
                    brokers[k].process!.parkedFetches.append(fetch)
                    schedule(
                        .broker(brokers[k].id, incarnation: brokers[k].incarnation, .fetchWaitExpired(id: fetch.id)),
                        after: options.fetchMaxWaitMs)
                    return
                }
                let mark = brokers[k].process!.leader!.replication.highWatermark
                result = .success(Fetched(records: Array(log.records[start..<end]), highWatermark: mark))
            }
        }
        send(
            from: node(brokers[k].id), to: fetch.from,
            .fetchAnswer(fetch.following, seq: fetch.seq, offset: fetch.offset, result))
    }

    /// Parked fetches read again after an append or a change of role (`PartitionSignals`).
    private mutating func wakeParkedFetches(_ k: Int) {
        let parked = brokers[k].process!.parkedFetches
        brokers[k].process!.parkedFetches = []
        for fetch in parked { answerFetch(k, fetch, mayPark: true) }
    }

    /// Produce with acks=all (`KafkaRequestHandler.produce`): refused under min.insync.replicas, else
    /// appended and parked until `acksAllOutcome` decides.
    private mutating func produce(_ k: Int, from: NodeID, id: Int, records: [UInt64]) {
        let broker = brokers[k].id
        func refuse(_ error: KafkaError) {
            trace.append(now, .refused(broker, "produce \(id): \(error)"))
            send(from: node(broker), to: from, .produceAnswer(id: id, .failure(error)))
        }
        let epoch: LeaderEpoch
        switch leaderCheck(k, currentLeaderEpoch: -1) {
        case .failure(let error): return refuse(error)
        case .success(let served): epoch = served
        }
        guard let leader = brokers[k].process!.leader else { return refuse(.notLeaderOrFollower) }
        guard !leader.replication.isUnderMinISR else {
            refusedNotEnoughReplicas += 1
            return refuse(.notEnoughReplicas)
        }
        let base = brokers[k].log.logEndOffset
        guard leader.replication.leaderEpoch == epoch, brokers[k].log.appendAsLeader(records, epoch: epoch) else {
            return refuse(.notLeaderOrFollower)
        }
        let end = brokers[k].log.logEndOffset
        trace.append(now, .appended(broker, from: base, count: records.count, epoch: epoch))
        let update = brokers[k].process!.leader!.replication.leaderAppended(logEndOffset: end)
        brokers[k].log.updateHighWatermark(brokers[k].process!.leader!.replication.highWatermark)
        brokers[k].process!.parkedProduces.append(
            ParkedProduce(id: id, from: from, epoch: epoch, base: base, required: end, records: records))
        schedule(
            .broker(broker, incarnation: brokers[k].incarnation, .produceDeadline(id: id)), after: options.produceTimeoutMs)
        apply(update, k)
        resolveParkedProduces(k)
        wakeParkedFetches(k)
    }

    /// `PartitionManager.awaitReplication` for every parked produce.
    private mutating func resolveParkedProduces(_ k: Int) {
        let broker = brokers[k].id
        var waiting: [ParkedProduce] = []
        for parked in brokers[k].process!.parkedProduces {
            let result: Result<LogOffset, KafkaError>
            if let leader = brokers[k].process!.leader, leader.replication.leaderEpoch == parked.epoch {
                switch leader.replication.acksAllOutcome(requiredOffset: parked.required) {
                case .waiting:
                    waiting.append(parked)
                    continue
                case .acknowledged:
                    let log = brokers[k].log
                    let held = (Int(parked.base.rawValue)..<Int(parked.required.rawValue)).compactMap {
                        log.record(at: LogOffset(Int64($0)))
                    }
                    if held.map(\.id) != parked.records {
                        checker.fail("b\(broker) acknowledges produce \(parked.id) at \(parked.base) but its log holds \(held)")
                    }
                    checker.observeCommitted(held, from: parked.base, epoch: parked.epoch, acknowledged: true, by: broker)
                    trace.append(now, .acknowledged(broker, from: parked.base, count: held.count))
                    result = .success(parked.base)
                case .notEnoughReplicasAfterAppend:
                    result = .failure(.notEnoughReplicasAfterAppend)
                }
            } else {
                result = .failure(.notLeaderOrFollower)
            }
            send(from: node(broker), to: parked.from, .produceAnswer(id: parked.id, result))
        }
        brokers[k].process!.parkedProduces = waiting
    }

    /// A consumer's Fetch: read below the high watermark.
    private mutating func consumerFetch(_ k: Int, from: NodeID, id: Int, offset: LogOffset) {
        let broker = brokers[k].id
        let result: Result<[SimulatedRecord], KafkaError>
        switch leaderCheck(k, currentLeaderEpoch: -1) {
        case .failure(let error):
            result = .failure(error)
        case .success(let epoch):
            let log = brokers[k].log
            let mark = brokers[k].process!.leader!.replication.highWatermark
            if offset < 0 || offset > log.logEndOffset {
                result = .failure(.offsetOutOfRange)
            } else {
                let start = Int(offset.rawValue)
                let end = max(start, min(Int(mark.rawValue), start + options.maxRecordsPerFetch))
                let records = Array(log.records[start..<end])
                if !records.isEmpty {
                    checker.observeCommitted(records, from: offset, epoch: epoch, acknowledged: false, by: broker)
                    trace.append(now, .read(broker, from: offset, count: records.count))
                }
                result = .success(records)
            }
        }
        send(from: node(broker), to: from, .consumerFetchAnswer(id: id, result))
    }

    // MARK: - Broker: follower side (ReplicaFetcher)

    /// The fetcher's next step: truncate for the followed epoch (OffsetForLeaderEpoch until the
    /// decision is complete), then fetch at the log end.
    private mutating func kickFetcher(_ k: Int) {
        guard let follower = brokers[k].process!.follower, follower.waiting == nil else { return }
        let id = brokers[k].id
        let seq = nextRequest
        nextRequest += 1
        let to = node(follower.following.leader)
        if !follower.truncated {
            guard let latest = brokers[k].log.epochs.latestEpoch else {
                // An empty log, or one with no epochs: the high watermark is the fallback.
                let log = brokers[k].log
                let decision = FollowerTruncation.decide(
                    epochs: log.epochs, logEndOffset: log.logEndOffset, highWatermark: log.highWatermark,
                    answer: .undefined)
                truncate(k, decision)
                brokers[k].process!.follower!.truncated = true
                return kickFetcher(k)
            }
            send(from: node(id), to: to, .offsetForLeaderEpoch(follower.following, latest: latest, seq: seq))
        } else {
            send(from: node(id), to: to, .fetch(follower.following, offset: brokers[k].log.logEndOffset, seq: seq))
        }
        brokers[k].process!.follower!.waiting = seq
        schedule(
            .broker(id, incarnation: brokers[k].incarnation, .fetcherWake(seq: seq)),
            after: options.fetchMaxWaitMs + options.requestTimeoutMs)
    }

    private mutating func backOff(_ k: Int) {
        let seq = nextRequest
        nextRequest += 1
        brokers[k].process!.follower!.waiting = seq
        schedule(
            .broker(brokers[k].id, incarnation: brokers[k].incarnation, .fetcherWake(seq: seq)),
            after: options.fetchBackoffMs)
    }

    private mutating func truncate(_ k: Int, _ decision: FollowerTruncation.Decision) {
        let before = brokers[k].log.logEndOffset
        truncations += 1
        if !decision.completed { incompleteTruncations += 1 }
        // `PartitionManager.truncateFollower` truncates also at the log end (the epoch cache).
        brokers[k].log.truncate(to: decision.truncateTo)
        if brokers[k].log.logEndOffset < before {
            checker.observeTruncated(brokers[k].id, to: brokers[k].log.logEndOffset)
        }
        trace.append(
            now, .truncated(brokers[k].id, from: before, to: brokers[k].log.logEndOffset, completed: decision.completed))
    }

    private mutating func offsetForLeaderEpochAnswered(
        _ k: Int, _ following: Following, seq: Int, _ result: Result<FollowerTruncation.LeaderAnswer, KafkaError>
    ) {
        guard let follower = brokers[k].process!.follower, follower.following == following, follower.waiting == seq else {
            return
        }
        brokers[k].process!.follower!.waiting = nil
        switch result {
        case .failure:
            backOff(k)
        case .success(let answer):
            let log = brokers[k].log
            let decision = FollowerTruncation.decide(
                epochs: log.epochs, logEndOffset: log.logEndOffset, highWatermark: log.highWatermark, answer: answer)
            truncate(k, decision)
            if decision.completed { brokers[k].process!.follower!.truncated = true }
            kickFetcher(k)
        }
    }

    private mutating func fetchAnswered(
        _ k: Int, _ following: Following, seq: Int, offset: LogOffset, _ result: Result<Fetched, KafkaError>
    ) {
        guard let follower = brokers[k].process!.follower, follower.following == following, follower.waiting == seq else {
            return
        }
        brokers[k].process!.follower!.waiting = nil
        switch result {
        case .success(let fetched):
            guard brokers[k].log.appendAsFollower(fetched.records, at: offset) else {
                trace.append(now, .refused(brokers[k].id, "to append what b\(following.leader) sent at \(offset)"))
                return backOff(k)
            }
            if fetched.highWatermark >= 0 { brokers[k].log.updateHighWatermark(fetched.highWatermark) }
            if !fetched.records.isEmpty {
                trace.append(
                    now,
                    .replicated(brokers[k].id, from: offset, count: fetched.records.count, leaderHighWatermark: fetched.highWatermark))
            }
            kickFetcher(k)
        case .failure(.offsetOutOfRange):
            brokers[k].process!.follower!.truncated = false
            kickFetcher(k)
        case .failure:
            backOff(k)
        }
    }

    // MARK: - Clients

    private mutating func producerTick(_ p: Int, generation: Int) {
        guard producers[p].generation == generation else { return }
        producers[p].generation += 1
        if producers[p].inFlight != nil {
            // No answer in time: the connection is dropped; ask for metadata again.
            producers[p].inFlight = nil
            producers[p].leader = nil
        }
        if producers[p].leader == nil, let znode, znode.leader != .noLeader { producers[p].leader = znode.leader }
        guard let leader = producers[p].leader else {
            schedule(.producer(p, generation: producers[p].generation), after: 20)
            return
        }
        let id = nextRequest
        nextRequest += 1
        let count = Int.random(in: options.recordsPerProduce, using: &random)
        let records = (0..<UInt64(count)).map { nextRecordID + $0 }
        nextRecordID += UInt64(count)
        producers[p].inFlight = id
        send(from: producerNode(p), to: node(leader), .produce(id: id, records: records))
        schedule(
            .producer(p, generation: producers[p].generation), after: options.produceTimeoutMs + options.requestTimeoutMs)
    }

    private mutating func producerAnswered(_ p: Int, id: Int, _ result: Result<LogOffset, KafkaError>) {
        guard producers[p].inFlight == id else { return }
        producers[p].inFlight = nil
        if case .failure = result { producers[p].leader = nil }
        producers[p].generation += 1
        schedule(.producer(p, generation: producers[p].generation), after: delay(options.producerPause))
    }

    private mutating func consumerTick(_ c: Int, generation: Int) {
        guard consumers[c].generation == generation else { return }
        consumers[c].generation += 1
        if consumers[c].inFlight != nil {
            consumers[c].inFlight = nil
            consumers[c].leader = nil
        }
        if consumers[c].leader == nil, let znode, znode.leader != .noLeader { consumers[c].leader = znode.leader }
        guard let leader = consumers[c].leader else {
            schedule(.consumer(c, generation: consumers[c].generation), after: 20)
            return
        }
        let id = nextRequest
        nextRequest += 1
        consumers[c].inFlight = id
        send(from: consumerNode(c), to: node(leader), .consumerFetch(id: id, offset: consumers[c].position))
        schedule(.consumer(c, generation: consumers[c].generation), after: options.requestTimeoutMs)
    }

    private mutating func consumerAnswered(_ c: Int, id: Int, _ result: Result<[SimulatedRecord], KafkaError>) {
        guard consumers[c].inFlight == id else { return }
        consumers[c].inFlight = nil
        switch result {
        case .success(let records):
            consumers[c].position = LogOffset(consumers[c].position.rawValue + Int64(records.count))
        case .failure(.offsetOutOfRange):
            consumers[c].position = 0
        case .failure:
            consumers[c].leader = nil
        }
        consumers[c].generation += 1
        schedule(.consumer(c, generation: consumers[c].generation), after: delay(options.consumerPause))
    }

    // MARK: - Faults

    /// Heartbeats to the ensemble stop (a crash, SIGSTOP, or a cut): the session expires after the
    /// session timeout unless they resume first.
    private mutating func heartbeatsStop(_ k: Int) {
        guard brokers[k].heartbeatStoppedAt == nil else { return }
        brokers[k].heartbeatStoppedAt = now
        schedule(.sessionCheck(brokers[k].id, stoppedAt: now), after: options.sessionTimeoutMs)
    }

    /// Heartbeats resume; a broker whose session expired meanwhile opens a new one and registers again
    /// (and reads the metadata afresh).
    ///
    /// Either way the broker reads the state znode again: a reconnecting client re-registers its watches
    /// and the ensemble fires those whose node changed meanwhile.
    private mutating func heartbeatsResume(_ k: Int) {
        guard brokers[k].process != nil, !brokers[k].paused, !brokers[k].cutFromZooKeeper else { return }
        brokers[k].heartbeatStoppedAt = nil
        schedule(.broker(brokers[k].id, incarnation: brokers[k].incarnation, .metadataRefresh), after: 1)
        guard brokers[k].session == nil else { return }
        brokers[k].session = nextSession
        nextSession += 1
        trace.append(now, .fault("b\(brokers[k].id) registers again with a new session"))
        schedule(.controllerRefresh, after: delay(options.controllerNoticeDelay))
    }

    /// SIGKILL: memory is lost, the log (in the page cache) survives.
    package mutating func crash(_ id: BrokerID) {
        let k = index(id)
        guard brokers[k].process != nil else { return }
        trace.append(now, .fault("crash b\(id)"))
        brokers[k].process = nil
        brokers[k].incarnation += 1
        brokers[k].paused = false
        brokers[k].deferred = []
        heartbeatsStop(k)
    }

    /// Starts a crashed broker again, once its old session is gone.
    package mutating func restart(_ id: BrokerID) {
        let k = index(id)
        guard brokers[k].process == nil, !brokers[k].restartRequested else { return }
        brokers[k].restartRequested = true
        trace.append(now, .fault("restart b\(id) requested"))
        schedule(.brokerStarts(id, incarnation: brokers[k].incarnation), after: delay(options.restartDelay))
    }

    /// SIGSTOP: the process does nothing; what reaches it waits.
    package mutating func pause(_ id: BrokerID) {
        let k = index(id)
        guard brokers[k].process != nil, !brokers[k].paused else { return }
        trace.append(now, .fault("SIGSTOP b\(id)"))
        brokers[k].paused = true
        heartbeatsStop(k)
    }

    /// SIGCONT: what waited runs now, in order.
    package mutating func resume(_ id: BrokerID) {
        let k = index(id)
        guard brokers[k].process != nil, brokers[k].paused else { return }
        trace.append(now, .fault("SIGCONT b\(id)"))
        brokers[k].paused = false
        for event in brokers[k].deferred { schedule(event, after: 0) }
        brokers[k].deferred = []
        heartbeatsResume(k)
    }

    /// Cuts `id` off from the ensemble (not from the other brokers or clients).
    package mutating func cutFromZooKeeper(_ id: BrokerID) {
        let k = index(id)
        guard !brokers[k].cutFromZooKeeper else { return }
        trace.append(now, .fault("b\(id) cut off from ZooKeeper"))
        brokers[k].cutFromZooKeeper = true
        heartbeatsStop(k)
    }

    package mutating func reconnectToZooKeeper(_ id: BrokerID) {
        let k = index(id)
        guard brokers[k].cutFromZooKeeper else { return }
        trace.append(now, .fault("b\(id) reaches ZooKeeper again"))
        brokers[k].cutFromZooKeeper = false
        heartbeatsResume(k)
    }

    /// Splits the brokers into groups that cannot reach each other; clients reach `clientsWith`.
    package mutating func partition(_ groups: [[BrokerID]], clientsWith: Int = 0) {
        trace.append(now, .fault("partition \(groups), clients with \(groups[clientsWith])"))
        var nodes = groups.map { $0.map { node($0) } }
        nodes[clientsWith] += producers.indices.map { producerNode($0) } + consumers.indices.map { consumerNode($0) }
        network.partition(nodes)
    }

    /// Cuts the directed link `from -> to` between two brokers (a request one way is lost, and with
    /// it the exchange).
    package mutating func cut(from: BrokerID, to: BrokerID) {
        trace.append(now, .fault("cut b\(from) -> b\(to)"))
        network.cut(from: node(from), to: node(to))
    }

    /// Cuts `id` off from the other brokers (clients still reach it).
    package mutating func isolate(_ id: BrokerID) {
        trace.append(now, .fault("isolate b\(id) from the other brokers"))
        for other in brokers where other.id != id { network.cut(from: node(other.id), to: node(id)) }
    }

    /// Heals the network, and reconnects and resumes every broker.
    package mutating func heal() {
        trace.append(now, .fault("heal"))
        network.heal()
        for b in brokers {
            reconnectToZooKeeper(b.id)
            resume(b.id)
        }
    }

    /// Restarts every crashed broker.
    package mutating func restartAll() {
        for b in brokers where b.process == nil { restart(b.id) }
    }
}
