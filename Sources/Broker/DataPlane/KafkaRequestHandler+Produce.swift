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
    ///   NOT_ENOUGH_REPLICAS (`Partition.appendRecordsToLeader`). After the append of every partition
    ///   the request is parked (`DelayedProduce`, no thread held, no `queued.max.requests` permit held)
    ///   until the high watermark covers each partition's records; a partition whose ISR shrank below
    ///   `min.insync.replicas` meanwhile gets NOT_ENOUGH_REPLICAS_AFTER_APPEND, one not covered by the
    ///   request's timeout REQUEST_TIMED_OUT, one whose leadership moved NOT_LEADER_OR_FOLLOWER.
    /// - A topic whose `cleanup.policy` contains `compact` refuses records without a key with
    ///   INVALID_RECORD, as Kafka's `LogValidator` does.
    /// - Idempotent producers' batches are checked against the partition's producer state
    ///   (`ProducerStateTable`): a retried batch already written is answered with its original offsets
    ///   and not written again (as Kafka answers it); OUT_OF_ORDER_SEQUENCE_NUMBER,
    ///   INVALID_PRODUCER_EPOCH and UNKNOWN_PRODUCER_ID as Kafka.
    func produce(_ request: ProduceRequest, version: Int16) async -> KafkaReply {
        let deadline = ContinuousClock.now + .milliseconds(max(Int64(request.timeoutMs), 0))
        var responses: [ProduceResponse.TopicResponse] = []
        var parked: [(topic: Int, index: Int, partition: TopicPartition, epoch: LeaderEpoch, required: LogOffset)] = []
        for topic in request.topicData {
            var partitionResponses: [ProduceResponse.PartitionResponse] = []
            for data in topic.partitionData {
                let partition = TopicPartition(topic.name, data.index)
                let (response, appended) = await produce(
                    data.records, to: partition, acks: request.acks, version: version)
                if request.acks == -1, let appended {
                    parked.append((responses.count, partitionResponses.count, partition, appended.epoch, appended.required))
                }
                partitionResponses.append(response)
            }
            responses.append(ProduceResponse.TopicResponse(name: topic.name, partitionResponses: partitionResponses))
        }
        if !parked.isEmpty { server.metrics.parkedProduce(1) }
        defer { if !parked.isEmpty { server.metrics.parkedProduce(-1) } }
        for wait in parked {
            let outcome = await self.parked {
                await partitions.awaitReplication(
                    wait.partition, leaderEpoch: wait.epoch, requiredOffset: wait.required, deadline: deadline)
            }
            let code: KafkaErrorCode
            switch outcome {
            case .acknowledged: continue
            case .notEnoughReplicasAfterAppend: code = .notEnoughReplicasAfterAppend
            case .timedOut: code = .requestTimedOut
            case .notLeader: code = .notLeaderOrFollower
            }
            logger.debug(
                "acks=all produce not acknowledged", metadata: wait.partition.logMetadata(["error": "\(code)"]))
            responses[wait.topic].partitionResponses[wait.index] = ProduceResponse.PartitionResponse(
                index: wait.partition.partition, errorCode: code, baseOffset: -1)
        }
        guard request.acks == 0 else { return .respond(.produce(ProduceResponse(responses: responses))) }
        for topic in responses {
            if let failed = topic.partitionResponses.first(where: { $0.errorCode != .noError }) {
                return .close(reason: "acks=0 produce to \(topic.name)-\(failed.index) failed with \(failed.errorCode)")
            }
        }
        return .noResponse
    }

    /// Validates and appends one partition's records; with the append's leader epoch and the offset the
    /// high watermark must reach for `acks=all` when it succeeded.
    private func produce(
        _ records: ByteBuffer?, to partition: TopicPartition, acks: Int16, version: Int16
    ) async -> (ProduceResponse.PartitionResponse, appended: (epoch: LeaderEpoch, required: LogOffset)?) {
        func failure(
            _ code: KafkaErrorCode, _ message: String? = nil
        ) -> (ProduceResponse.PartitionResponse, appended: (epoch: LeaderEpoch, required: LogOffset)?) {
            (
                ProduceResponse.PartitionResponse(
                    index: partition.partition, errorCode: code, baseOffset: -1, errorMessage: message), nil
            )
        }
        guard version >= 3 else {
            return failure(.unsupportedVersion, "Produce v0-2 (message format 0/1) is not supported")
        }
        guard acks == 0 || acks == 1 || acks == -1 else { return failure(.invalidRequiredAcks) }
        // Only the group coordinator writes its topic (`ReplicaManager.appendToLocalLog`).
        guard partition.topic != GroupCoordinator.offsetsTopic else {
            return failure(.invalidTopicException, "Cannot append to internal topic \(partition.topic)")
        }
        let epoch: LeaderEpoch
        switch await servedLeaderEpoch(of: partition) {
        case .leader(let leaderEpoch): epoch = leaderEpoch
        case .refused(let code): return failure(code)
        }
        guard let config = partitions.config(of: partition) else { return failure(.notLeaderOrFollower) }
        if acks == -1 {
            guard let (isr, underMinISR) = partitions.insyncReplicas(of: partition) else {
                return failure(.notLeaderOrFollower)
            }
            guard !underMinISR else {
                return failure(
                    .notEnoughReplicas,
                    "The ISR has \(isr.count) replica(s), fewer than min.insync.replicas (\(config.minInsyncReplicas))")
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
        // A compacted topic takes keyed records only (`LogValidator.validateKey`): reading the keys means
        // decompressing the batches, bounded as every read of stored records is.
        if config.logConfig.cleanupPolicy.compact {
            switch batches.checkKeys(maxDecompressedBytes: config.logConfig.maxDecompressedBatchBytes) {
            case .allKeyed:
                break
            case .keyless:
                return failure(
                    .invalidRecord,
                    "Compacted topic cannot accept message without key in topic partition \(partition).")
            case .unreadable(let reason):
                return failure(.corruptMessage, reason)
            }
        }
        do {
            guard let appended = try await partitions.append(batches, to: partition, leaderEpoch: epoch) else {
                return failure(.notLeaderOrFollower)
            }
            if !appended.duplicate {
                server.metrics.appended(
                    messages: batches.recordCount, bytes: batches.bytes.readableBytes, to: partition.topic)
            }
            return (
                ProduceResponse.PartitionResponse(
                    index: partition.partition, errorCode: .noError, baseOffset: appended.result.firstOffset.rawValue,
                    logAppendTimeMs: appended.result.logAppendTime ?? -1,
                    logStartOffset: appended.logStartOffset.rawValue),
                (epoch, LogOffset(appended.result.lastOffset.rawValue + 1))
            )
        } catch let refusal as PartitionManager.ProducerRefusal {
            let code: KafkaErrorCode
            switch refusal.check {
            case .invalidProducerEpoch: code = .invalidProducerEpoch
            case .unknownProducerID: code = .unknownProducerID
            case .outOfOrderSequence, .append, .duplicate: code = .outOfOrderSequenceNumber
            }
            logger.debug("produce refused by the producer's sequence", metadata: partition.logMetadata(["error": "\(code)"]))
            return failure(code)
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
        case .invalidRecordCount, .controlBatchFromClient, .noBatches, .offsetsOutOfOrder, .invalidLeaderEpoch: .invalidRecord
        }
    }
}
