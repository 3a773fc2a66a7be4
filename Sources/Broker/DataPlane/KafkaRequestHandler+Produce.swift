import KafkaWire
import Logging
import NIOCore
import SegmentLog

extension KafkaRequestHandler {
    /// Produce (`KafkaApis.handleProduceRequest`, `ReplicaManager.appendRecords`): each partition's
    /// batches are validated and appended by its leader.
    ///
    /// - v0–2 (message formats 0/1) are advertised for old librdkafka's feature checks but refused with
    ///   UNSUPPORTED_VERSION per partition (reference/kafka.md §3.4 #1).
    /// - acks=0: no response; a failed partition closes the connection instead.
    /// - acks=1 is answered after the leader's append.
    /// - acks=-1 (all) needs an ISR of at least `min.insync.replicas` before the append, or fails with
    ///   NOT_ENOUGH_REPLICAS (`Partition.appendRecordsToLeader`). Brokers do not replicate yet (issue 9),
    ///   so the ISR is the leader alone (`PartitionLeaderElection.initialState`): acks=all succeeds
    ///   exactly when `min.insync.replicas` is 1, once the leader has appended, and never claims copies
    ///   that do not exist.
    /// - Idempotent producers' sequence numbers are stored but not checked (no DUPLICATE_SEQUENCE_NUMBER).
    func produce(_ request: ProduceRequest, version: Int16) async -> KafkaReply {
        var responses: [ProduceResponse.TopicResponse] = []
        for topic in request.topicData {
            var partitionResponses: [ProduceResponse.PartitionResponse] = []
            for data in topic.partitionData {
                partitionResponses.append(
                    await produce(
                        data.records, to: TopicPartition(topic.name, data.index), acks: request.acks, version: version))
            }
            responses.append(ProduceResponse.TopicResponse(name: topic.name, partitionResponses: partitionResponses))
        }
        guard request.acks == 0 else { return .respond(.produce(ProduceResponse(responses: responses))) }
        for topic in responses {
            if let failed = topic.partitionResponses.first(where: { $0.errorCode != .noError }) {
                return .close(reason: "acks=0 produce to \(topic.name)-\(failed.index) failed with \(failed.errorCode)")
            }
        }
        return .noResponse
    }

    private func produce(
        _ records: ByteBuffer?, to partition: TopicPartition, acks: Int16, version: Int16
    ) async -> ProduceResponse.PartitionResponse {
        func failure(_ code: KafkaErrorCode, _ message: String? = nil) -> ProduceResponse.PartitionResponse {
            ProduceResponse.PartitionResponse(
                index: partition.partition, errorCode: code, baseOffset: -1, errorMessage: message)
        }
        guard version >= 3 else {
            return failure(.unsupportedVersion, "Produce v0-2 (message format 0/1) is not supported")
        }
        guard acks == 0 || acks == 1 || acks == -1 else { return failure(.invalidRequiredAcks) }
        let epoch: LeaderEpoch
        switch await servedLeaderEpoch(of: partition) {
        case .leader(let leaderEpoch): epoch = leaderEpoch
        case .refused(let code): return failure(code)
        }
        guard let config = partitions.config(of: partition) else { return failure(.notLeaderOrFollower) }
        if acks == -1 {
            let isr = server.metadata.current.partition(partition)?.isr.count ?? 0
            guard isr >= config.minInsyncReplicas else {
                return failure(
                    .notEnoughReplicas,
                    "The ISR has \(isr) replica(s), fewer than min.insync.replicas (\(config.minInsyncReplicas))")
            }
        }
        let batches: ProduceRecordBatches
        do throws(RecordBatchError) {
            batches = try ProduceRecordBatches(
                validating: records ?? ByteBuffer(), maxBatchBytes: config.maxMessageBytes)
        } catch {
            logger.debug(
                "produce refused",
                metadata: partition.logMetadata(["reason": "\(error)"]))
            return failure(error.kafkaErrorCode, "\(error)")
        }
        // A batch no segment can hold (`UnifiedLog.analyzeAndValidateRecords`).
        guard batches.largestBatchSize <= config.logConfig.segmentBytes else {
            return failure(
                .recordListTooLarge,
                "A batch of \(batches.largestBatchSize) bytes is larger than segment.bytes "
                    + "(\(config.logConfig.segmentBytes))")
        }
        do {
            guard let appended = try await partitions.append(batches, to: partition, leaderEpoch: epoch) else {
                return failure(.notLeaderOrFollower)
            }
            server.metrics.appended(
                messages: batches.recordCount, bytes: batches.bytes.readableBytes, to: partition.topic)
            return ProduceResponse.PartitionResponse(
                index: partition.partition, errorCode: .noError, baseOffset: appended.result.firstOffset.rawValue,
                logAppendTimeMs: appended.result.logAppendTime ?? -1, logStartOffset: appended.logStartOffset.rawValue)
        } catch {
            logger.error(
                "append failed",
                metadata: partition.logMetadata(["error": "\(error)"]))
            return failure(.kafkaStorageError)
        }
    }
}

extension RecordBatchError {
    /// The error code a Produce answers for this validation failure (`LogValidator`,
    /// `UnifiedLog.analyzeAndValidateRecords`).
    var kafkaErrorCode: KafkaErrorCode {
        switch self {
        case .unsupportedMagic(_, let magic) where magic == 0 || magic == 1: .unsupportedForMessageFormat
        case .unsupportedMagic, .truncated, .batchLengthTooSmall, .crcMismatch, .malformedRecord, .compressedRecords:
            .corruptMessage
        case .batchTooLarge: .messageTooLarge
        case .invalidRecordCount, .controlBatchFromClient, .noBatches: .invalidRecord
        }
    }
}
