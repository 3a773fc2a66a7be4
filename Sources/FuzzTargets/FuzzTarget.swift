/// The coverage-guided fuzz targets (issue 11): each takes arbitrary bytes and drives one piece of code
/// that reads input from a socket or a file. None may trap, whatever the bytes: a trap here is a crash of
/// the whole server (STYLE.md §5). `swift test --filter FuzzTests` replays every committed corpus and
/// regression input through the same functions; `Ops/fuzz.sh` runs them under libFuzzer.
package enum FuzzTarget: String, CaseIterable, Sendable {
    /// Client frames to a keeper: frame decoder, ConnectRequest, request decoder, then every request
    /// applied to a `DataTree` as the keeper would (writes as replicated txns, reads on the tree).
    case zookeeper
    /// Client frames to a broker: frame decoder, every advertised API key and version, re-encoding, and
    /// the responses the broker builds from what was decoded without state.
    case kafka
    /// A Produce partition payload: RecordBatch validation, decompression and record parsing.
    case recordBatch = "record-batch"
    /// Frames on the quorum port: the peer message decoder and a `ReplicaNode` (Raft step, apply).
    case peer
    /// A partition directory written from the input, opened (recovered) and read back.
    case segment
    /// The consumer-group code's input from disk and clients: `__consumer_offsets` records (parsed,
    /// re-encoded, loaded), consumer protocol bytes, and programs of requests, time and coordinator moves
    /// driving a `GroupStateMachine` whose invariants are checked after every step.
    case groups

    /// Runs one input.
    package func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .zookeeper: fuzzZooKeeper(bytes)
        case .kafka: fuzzKafka(bytes)
        case .recordBatch: fuzzRecordBatch(bytes)
        case .peer: fuzzPeer(bytes)
        case .segment: fuzzSegment(bytes)
        case .groups: fuzzGroups(bytes)
        }
    }
}

