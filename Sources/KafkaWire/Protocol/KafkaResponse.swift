package import NIOCore

/// A response body of one of the APIs in `SupportedAPIs`.
package enum KafkaResponse: Hashable, Sendable {
    case produce(ProduceResponse)
    case fetch(FetchResponse)
    case listOffsets(ListOffsetsResponse)
    case metadata(MetadataResponse)
    case findCoordinator(FindCoordinatorResponse)
    case apiVersions(APIVersionsResponse)
    case createTopics(CreateTopicsResponse)
    case deleteTopics(DeleteTopicsResponse)
    case initProducerID(InitProducerIDResponse)
    case offsetForLeaderEpoch(OffsetForLeaderEpochResponse)
    case describeConfigs(DescribeConfigsResponse)
    case controlledShutdown(ControlledShutdownResponse)
    case createPartitions(CreatePartitionsResponse)
    case electLeaders(ElectLeadersResponse)
    case alterPartitionReassignments(AlterPartitionReassignmentsResponse)
    case listPartitionReassignments(ListPartitionReassignmentsResponse)
    case offsetCommit(OffsetCommitResponse)
    case offsetFetch(OffsetFetchResponse)
    case joinGroup(JoinGroupResponse)
    case heartbeat(HeartbeatResponse)
    case leaveGroup(LeaveGroupResponse)
    case syncGroup(SyncGroupResponse)
    case describeGroups(DescribeGroupsResponse)
    case listGroups(ListGroupsResponse)
    case deleteGroups(DeleteGroupsResponse)
    case offsetDelete(OffsetDeleteResponse)

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

    /// Decodes a response body of `apiKey` at `version`; nil for an API this module does not implement.
    package static func decode(
        apiKey: APIKey,
        version: Int16,
        from reader: inout KafkaReader
    ) throws(KafkaWireError) -> KafkaResponse? {
        switch apiKey {
        case .produce: .produce(try ProduceResponse(from: &reader, version: version))
        case .fetch: .fetch(try FetchResponse(from: &reader, version: version))
        case .listOffsets: .listOffsets(try ListOffsetsResponse(from: &reader, version: version))
        case .metadata: .metadata(try MetadataResponse(from: &reader, version: version))
        case .findCoordinator: .findCoordinator(try FindCoordinatorResponse(from: &reader, version: version))
        case .apiVersions: .apiVersions(try APIVersionsResponse(from: &reader, version: version))
        case .createTopics: .createTopics(try CreateTopicsResponse(from: &reader, version: version))
        case .deleteTopics: .deleteTopics(try DeleteTopicsResponse(from: &reader, version: version))
        case .initProducerID: .initProducerID(try InitProducerIDResponse(from: &reader, version: version))
        case .offsetForLeaderEpoch:
            .offsetForLeaderEpoch(try OffsetForLeaderEpochResponse(from: &reader, version: version))
        case .describeConfigs: .describeConfigs(try DescribeConfigsResponse(from: &reader, version: version))
        case .controlledShutdown:
            .controlledShutdown(try ControlledShutdownResponse(from: &reader, version: version))
        case .createPartitions: .createPartitions(try CreatePartitionsResponse(from: &reader, version: version))
        case .electLeaders: .electLeaders(try ElectLeadersResponse(from: &reader, version: version))
        case .alterPartitionReassignments:
            .alterPartitionReassignments(try AlterPartitionReassignmentsResponse(from: &reader, version: version))
        case .listPartitionReassignments:
            .listPartitionReassignments(try ListPartitionReassignmentsResponse(from: &reader, version: version))
        case .offsetCommit: .offsetCommit(try OffsetCommitResponse(from: &reader, version: version))
        case .offsetFetch: .offsetFetch(try OffsetFetchResponse(from: &reader, version: version))
        case .joinGroup: .joinGroup(try JoinGroupResponse(from: &reader, version: version))
        case .heartbeat: .heartbeat(try HeartbeatResponse(from: &reader, version: version))
        case .leaveGroup: .leaveGroup(try LeaveGroupResponse(from: &reader, version: version))
        case .syncGroup: .syncGroup(try SyncGroupResponse(from: &reader, version: version))
        case .describeGroups: .describeGroups(try DescribeGroupsResponse(from: &reader, version: version))
        case .listGroups: .listGroups(try ListGroupsResponse(from: &reader, version: version))
        case .deleteGroups: .deleteGroups(try DeleteGroupsResponse(from: &reader, version: version))
        case .offsetDelete: .offsetDelete(try OffsetDeleteResponse(from: &reader, version: version))
        default: nil
        }
    }
}

/// Response frames: `int32 size` + response header (v0, or v1 for flexible versions; always v0 for
/// ApiVersions) + body.
package enum KafkaResponseFrame {
    /// Writes a complete size-prefixed response frame at `version`, the request's version (0 for the
    /// KIP-511 ApiVersions answer). A version outside the API's supported range is a bug. Returns false,
    /// and leaves `buffer` as it was, when the frame would not fit an `int32` size: the caller fails that
    /// one request (the broker closes the connection with one log line).
    @discardableResult
    package static func encode(
        _ response: KafkaResponse,
        version: Int16,
        correlationID: Int32,
        into buffer: inout ByteBuffer
    ) -> Bool {
        encode(
            response, version: version, correlationID: correlationID, into: &buffer,
            bufferLimit: KafkaWriter.maxBufferBytes)
    }

    /// `encode(_:version:correlationID:into:)` with a smaller buffer limit, for tests.
    static func encode(
        _ response: KafkaResponse,
        version: Int16,
        correlationID: Int32,
        into buffer: inout ByteBuffer,
        bufferLimit: Int
    ) -> Bool {
        let apiKey = response.apiKey
        precondition(
            SupportedAPIs.api(apiKey)?.supports(version) == true,
            "cannot encode \(apiKey) response v\(version)"
        )
        let headerVersion = ResponseHeader.version(apiKey: apiKey, apiVersion: version)
        return KafkaWriter.appendFrame(to: &buffer, bufferLimit: bufferLimit) { frame in
            ResponseHeader.write(correlationID: correlationID, version: headerVersion, to: &frame)
            response.message.write(to: &frame, version: version)
        }
    }

    /// Decodes one response frame payload (after the size) to a request of `apiKey` at `version`, which
    /// the caller knows from the correlation id it sent; an API or version this module does not implement
    /// is a bug.
    package static func decode(
        _ frame: ByteBuffer,
        apiKey: APIKey,
        version: Int16
    ) throws(KafkaWireError) -> (correlationID: Int32, response: KafkaResponse) {
        guard let api = SupportedAPIs.api(apiKey), api.supports(version) else {
            preconditionFailure("cannot decode \(apiKey) response v\(version)")
        }
        var reader = KafkaReader(frame)
        let correlationID = try ResponseHeader.read(
            version: ResponseHeader.version(apiKey: apiKey, apiVersion: version),
            from: &reader
        )
        // Cannot be nil: every key in SupportedAPIs has a case in `KafkaResponse.decode`.
        let response = try KafkaResponse.decode(apiKey: apiKey, version: version, from: &reader)!
        try reader.expectEnd(context: "\(api.name) v\(version) response")
        return (correlationID, response)
    }
}
