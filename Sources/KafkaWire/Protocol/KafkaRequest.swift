package import NIOCore

/// A decoded request body of one of the APIs in `SupportedAPIs`.
package enum KafkaRequest: Hashable, Sendable {
    case produce(ProduceRequest)
    case fetch(FetchRequest)
    case listOffsets(ListOffsetsRequest)
    case metadata(MetadataRequest)
    case findCoordinator(FindCoordinatorRequest)
    case apiVersions(APIVersionsRequest)
    case createTopics(CreateTopicsRequest)
    case deleteTopics(DeleteTopicsRequest)
    case initProducerID(InitProducerIDRequest)
    case offsetForLeaderEpoch(OffsetForLeaderEpochRequest)
    case describeConfigs(DescribeConfigsRequest)
    case controlledShutdown(ControlledShutdownRequest)
    case createPartitions(CreatePartitionsRequest)
    case electLeaders(ElectLeadersRequest)
    case alterPartitionReassignments(AlterPartitionReassignmentsRequest)
    case listPartitionReassignments(ListPartitionReassignmentsRequest)
    case offsetCommit(OffsetCommitRequest)
    case offsetFetch(OffsetFetchRequest)
    case joinGroup(JoinGroupRequest)
    case heartbeat(HeartbeatRequest)
    case leaveGroup(LeaveGroupRequest)
    case syncGroup(SyncGroupRequest)
    case describeGroups(DescribeGroupsRequest)
    case listGroups(ListGroupsRequest)
    case deleteGroups(DeleteGroupsRequest)
    case offsetDelete(OffsetDeleteRequest)

    /// The wrapped body.
    package var message: any KafkaMessage {
        switch self {
        case .produce(let body): body
        case .fetch(let body): body
        case .listOffsets(let body): body
        case .metadata(let body): body
        case .findCoordinator(let body): body
        case .apiVersions(let body): body
        case .createTopics(let body): body
        case .deleteTopics(let body): body
        case .initProducerID(let body): body
        case .offsetForLeaderEpoch(let body): body
        case .describeConfigs(let body): body
        case .controlledShutdown(let body): body
        case .createPartitions(let body): body
        case .electLeaders(let body): body
        case .alterPartitionReassignments(let body): body
        case .listPartitionReassignments(let body): body
        case .offsetCommit(let body): body
        case .offsetFetch(let body): body
        case .joinGroup(let body): body
        case .heartbeat(let body): body
        case .leaveGroup(let body): body
        case .syncGroup(let body): body
        case .describeGroups(let body): body
        case .listGroups(let body): body
        case .deleteGroups(let body): body
        case .offsetDelete(let body): body
        }
    }

    /// The API the body belongs to.
    package var apiKey: APIKey { type(of: self.message).apiKey }

    /// Decodes a request body of `apiKey` at `version`; nil for an API this module does not implement.
    /// Does not check the version against `SupportedAPIs` or for trailing bytes (`KafkaRequestFrame` does).
    package static func decode(
        apiKey: APIKey,
        version: Int16,
        from reader: inout KafkaReader
    ) throws(KafkaWireError) -> KafkaRequest? {
        switch apiKey {
        case .produce: .produce(try ProduceRequest(from: &reader, version: version))
        case .fetch: .fetch(try FetchRequest(from: &reader, version: version))
        case .listOffsets: .listOffsets(try ListOffsetsRequest(from: &reader, version: version))
        case .metadata: .metadata(try MetadataRequest(from: &reader, version: version))
        case .findCoordinator: .findCoordinator(try FindCoordinatorRequest(from: &reader, version: version))
        case .apiVersions: .apiVersions(try APIVersionsRequest(from: &reader, version: version))
        case .createTopics: .createTopics(try CreateTopicsRequest(from: &reader, version: version))
        case .deleteTopics: .deleteTopics(try DeleteTopicsRequest(from: &reader, version: version))
        case .initProducerID: .initProducerID(try InitProducerIDRequest(from: &reader, version: version))
        case .offsetForLeaderEpoch:
            .offsetForLeaderEpoch(try OffsetForLeaderEpochRequest(from: &reader, version: version))
        case .describeConfigs: .describeConfigs(try DescribeConfigsRequest(from: &reader, version: version))
        case .controlledShutdown:
            .controlledShutdown(try ControlledShutdownRequest(from: &reader, version: version))
        case .createPartitions: .createPartitions(try CreatePartitionsRequest(from: &reader, version: version))
        case .electLeaders: .electLeaders(try ElectLeadersRequest(from: &reader, version: version))
        case .alterPartitionReassignments:
            .alterPartitionReassignments(try AlterPartitionReassignmentsRequest(from: &reader, version: version))
        case .listPartitionReassignments:
            .listPartitionReassignments(try ListPartitionReassignmentsRequest(from: &reader, version: version))
        case .offsetCommit: .offsetCommit(try OffsetCommitRequest(from: &reader, version: version))
        case .offsetFetch: .offsetFetch(try OffsetFetchRequest(from: &reader, version: version))
        case .joinGroup: .joinGroup(try JoinGroupRequest(from: &reader, version: version))
        case .heartbeat: .heartbeat(try HeartbeatRequest(from: &reader, version: version))
        case .leaveGroup: .leaveGroup(try LeaveGroupRequest(from: &reader, version: version))
        case .syncGroup: .syncGroup(try SyncGroupRequest(from: &reader, version: version))
        case .describeGroups: .describeGroups(try DescribeGroupsRequest(from: &reader, version: version))
        case .listGroups: .listGroups(try ListGroupsRequest(from: &reader, version: version))
        case .deleteGroups: .deleteGroups(try DeleteGroupsRequest(from: &reader, version: version))
        case .offsetDelete: .offsetDelete(try OffsetDeleteRequest(from: &reader, version: version))
        default: nil
        }
    }
}

/// What `KafkaRequestFrame.decode(_:)` made of one frame.
package enum KafkaRequestDecodeResult: Hashable, Sendable {
    /// A request of a supported API and version.
    case request(RequestHeader, KafkaRequest)
    /// An API key not in `SupportedAPIs`. Kafka closes the connection; the header says what was asked.
    case unknownAPIKey(RequestHeader)
    /// A supported API at a version outside its range; the body was not parsed. For ApiVersions, answer
    /// `APIVersionsResponse.unsupportedVersion()` encoded as v0 with `header.correlationID` (KIP-511).
    case unsupportedVersion(RequestHeader)
    /// The header (nil if even it could not be read) or the body is malformed: close the connection.
    case malformed(RequestHeader?, KafkaWireError)
}

/// Request frames: `int32 size` + request header + body.
package enum KafkaRequestFrame {
    /// Decodes one frame payload (the bytes after the size, as `KafkaFrameDecoder` emits them). Never
    /// throws: every outcome the server must react to is a case of the result.
    package static func decode(_ frame: ByteBuffer) -> KafkaRequestDecodeResult {
        var reader = KafkaReader(frame)
        let header: RequestHeader
        do {
            header = try RequestHeader(from: &reader)
        } catch {
            return .malformed(nil, error)
        }
        guard let api = SupportedAPIs.api(header.apiKey) else { return .unknownAPIKey(header) }
        guard api.supports(header.apiVersion) else { return .unsupportedVersion(header) }
        do {
            // Cannot be nil: every key in SupportedAPIs has a case in `KafkaRequest.decode`.
            let request = try KafkaRequest.decode(apiKey: header.apiKey, version: header.apiVersion, from: &reader)!
            try reader.expectEnd(context: "\(api.name) v\(header.apiVersion) request")
            return .request(header, request)
        } catch {
            return .malformed(header, error)
        }
    }

    /// Writes a complete size-prefixed request frame at `version`, which must be supported (a client or a
    /// test picks it; a version this module cannot encode is a bug). Returns false, and leaves `buffer` as
    /// it was, when the frame would not fit an `int32` size (`KafkaWriter.overflowed`).
    @discardableResult
    package static func encode(
        _ request: KafkaRequest,
        version: Int16,
        correlationID: Int32,
        clientID: String?,
        into buffer: inout ByteBuffer
    ) -> Bool {
        let apiKey = request.apiKey
        precondition(
            SupportedAPIs.api(apiKey)?.supports(version) == true,
            "cannot encode \(apiKey) request v\(version)"
        )
        let header = RequestHeader(
            apiKey: apiKey,
            apiVersion: version,
            correlationID: correlationID,
            clientID: clientID
        )
        return KafkaWriter.appendFrame(to: &buffer) { frame in
            header.write(to: &frame)
            request.message.write(to: &frame, version: version)
        }
    }
}
