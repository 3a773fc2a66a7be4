import KafkaWire
import KafkaZooKeeper
import Logging
import NIOCore
import SegmentLog

extension KafkaRequestHandler {
    /// Fetch (`KafkaApis.handleFetchRequest`, `ReplicaManager.fetchMessages`, `DelayedFetch`).
    ///
    /// Reads every requested partition; when fewer than `min_bytes` came back and no partition failed,
    /// the request is parked (a continuation, no thread) until data is appended to one of its
    /// partitions or `max_wait_ms` passes, then read again. Consumers read below the high watermark;
    /// `last_stable_offset` is the high watermark (no transactions). A fetch offset inside a batch gets
    /// the whole batch. The first partition with data always gets at least one batch, however large;
    /// after that `max_bytes` and each partition's max bytes bound the response.
    ///
    /// Fetch sessions (KIP-227, v7+) are sessionless: session id 0 is answered with full responses and
    /// session id 0, which clients take as "no session"; any other session id is FETCH_SESSION_ID_NOT_FOUND.
    func fetch(_ request: FetchRequest, version: Int16) async -> FetchResponse {
        if version >= 7 && request.sessionID != 0 {
            return FetchResponse(errorCode: .fetchSessionIDNotFound, responses: [])
        }
        let deadline = ContinuousClock.now + .milliseconds(max(request.maxWaitMs, 0))
        let requested = request.topics.flatMap { topic in
            topic.partitions.map { TopicPartition(topic.topic, $0.partition) }
        }
        // A follower's fetch offset is its log end offset: the leader learns it before reading, so the
        // high watermark in this answer already counts it. Only a follower of the current leader epoch
        // counts: one still on an older epoch has not truncated its divergent tail yet.
        if request.replicaID >= 0 {
            for topic in request.topics {
                for fetch in topic.partitions where fetch.fetchOffset >= 0 {
                    partitions.followerFetched(
                        TopicPartition(topic.topic, fetch.partition), replica: BrokerID(request.replicaID),
                        fetchOffset: fetch.fetchOffset, currentLeaderEpoch: fetch.currentLeaderEpoch)
                }
            }
        }
        while true {
            let seen = partitions.signals.versions(of: requested)
            let (response, bytes, failed) = await read(request)
            let remaining = deadline - ContinuousClock.now
            if bytes >= Int(request.minBytes) || failed || remaining <= .zero { return response }
            await parked { await partitions.signals.wait(for: seen, timeout: remaining) }
            if Task.isCancelled { return response }
        }
    }

    /// One pass over the fetch's partitions: the response, how many record bytes it holds, and whether
    /// a partition failed (which answers the fetch at once, as Kafka's `DelayedFetch` does).
    private func read(_ request: FetchRequest) async -> (FetchResponse, bytes: Int, failed: Bool) {
        // Kafka's `min(request max_bytes, fetch.max.bytes)`; a negative client value asks for nothing.
        var remaining = max(min(Int(request.maxBytes), Int(configuration.fetchMaxBytes)), 0)
        var total = 0
        var failed = false
        var responses: [FetchResponse.TopicResponse] = []
        for topic in request.topics {
            var data: [FetchResponse.PartitionData] = []
            for fetch in topic.partitions {
                let partition = TopicPartition(topic.topic, fetch.partition)
                let limit = max(min(Int(fetch.partitionMaxBytes), remaining), 0)
                let result = await read(
                    fetch, of: partition, maxBytes: limit, minOneBatch: total == 0, request: request)
                let bytes = result.records?.readableBytes ?? 0
                total += bytes
                remaining = max(remaining - bytes, 0)
                failed = failed || result.errorCode != .noError
                data.append(result)
            }
            responses.append(FetchResponse.TopicResponse(topic: topic.topic, partitions: data))
        }
        return (FetchResponse(responses: responses), total, failed)
    }

    private func read(
        _ fetch: FetchRequest.Partition, of partition: TopicPartition, maxBytes: Int, minOneBatch: Bool,
        request: FetchRequest
    ) async -> FetchResponse.PartitionData {
        func failure(_ code: KafkaErrorCode) -> FetchResponse.PartitionData {
            FetchResponse.PartitionData(
                partitionIndex: fetch.partition, errorCode: code, highWatermark: -1, records: ByteBuffer())
        }
        if case .refused(let code) = await servedLeaderEpoch(
            of: partition, currentLeaderEpoch: fetch.currentLeaderEpoch)
        {
            return failure(code)
        }
        // No log holds a negative offset: Kafka answers OFFSET_OUT_OF_RANGE without reading.
        guard fetch.fetchOffset >= 0 else { return failure(.offsetOutOfRange) }
        // Followers (replica id ≥ 0) read up to the log end offset; consumers up to the high watermark.
        let isConsumer = request.replicaID < 0
        let offset = LogOffset(fetch.fetchOffset)
        let outcome: (PartitionManager.Offsets, PartitionLog.ReadResult)?
        do {
            outcome = try await partitions.withLog(partition) { log in
                let offsets = PartitionManager.Offsets(
                    logStartOffset: log.logStartOffset, highWatermark: log.highWatermark, logEndOffset: log.logEndOffset
                )
                guard minOneBatch || maxBytes > 0 else { return (offsets, .batches(ByteBuffer())) }
                return (
                    offsets, try log.read(from: offset, maxBytes: maxBytes, limit: isConsumer ? log.highWatermark : nil)
                )
            }
        } catch {
            logger.error(
                "read failed",
                metadata: partition.logMetadata(["error": "\(error)"]))
            return failure(.kafkaStorageError)
        }
        guard let (offsets, result) = outcome else { return failure(.notLeaderOrFollower) }
        var data = FetchResponse.PartitionData(
            partitionIndex: fetch.partition, errorCode: .noError, highWatermark: offsets.highWatermark.rawValue,
            lastStableOffset: offsets.highWatermark.rawValue, logStartOffset: offsets.logStartOffset.rawValue,
            abortedTransactions: request.isolationLevel == 1 ? [] : nil, records: ByteBuffer())
        switch result {
        case .offsetOutOfRange:
            data.errorCode = .offsetOutOfRange
        case .batches(let bytes):
            // A read returns at least one batch; past the first partition with data, one over the limit is dropped.
            data.records = minOneBatch || bytes.readableBytes <= maxBytes ? bytes : ByteBuffer()
        }
        return data
    }

    // MARK: - ListOffsets

    /// ListOffsets v1+ (`KafkaApis.handleListOffsetRequest`): -1 is the latest offset (the high watermark
    /// for consumers, which is also the last stable offset), -2 the log start offset, other timestamps
    /// the first record whose timestamp is at or after them (below the high watermark; compressed batches
    /// are read inside), else -1; CORRUPT_MESSAGE when that batch's records cannot be read.
    /// v4+ answers the leader epoch of the offset's batch.
    func listOffsets(_ request: ListOffsetsRequest) async -> ListOffsetsResponse {
        var topics: [ListOffsetsResponse.Topic] = []
        for topic in request.topics {
            var answers: [ListOffsetsResponse.Partition] = []
            for asked in topic.partitions {
                answers.append(
                    await listOffset(
                        asked, of: TopicPartition(topic.name, asked.partitionIndex), replicaID: request.replicaID))
            }
            topics.append(ListOffsetsResponse.Topic(name: topic.name, partitions: answers))
        }
        return ListOffsetsResponse(topics: topics)
    }

    private func listOffset(
        _ asked: ListOffsetsRequest.Partition, of partition: TopicPartition, replicaID: Int32
    ) async -> ListOffsetsResponse.Partition {
        func answer(
            _ code: KafkaErrorCode, timestamp: Int64 = -1, offset: Int64 = -1, epoch: Int32 = -1
        ) -> ListOffsetsResponse.Partition {
            ListOffsetsResponse.Partition(
                partitionIndex: asked.partitionIndex, errorCode: code, timestamp: timestamp, offset: offset,
                leaderEpoch: epoch)
        }
        if case .refused(let code) = await servedLeaderEpoch(
            of: partition, currentLeaderEpoch: asked.currentLeaderEpoch)
        {
            return answer(code)
        }
        let timestamp = asked.timestamp
        guard timestamp >= -2 else { return answer(.invalidRequest) }
        let isConsumer = replicaID < 0
        do {
            let found = try await partitions.withLog(partition) {
                log -> (timestamp: Int64, offset: LogOffset, epoch: Int32)? in
                let fetchable = isConsumer ? log.highWatermark : log.logEndOffset
                let hit: (timestamp: Int64, offset: LogOffset)
                switch timestamp {
                case -1: hit = (-1, fetchable)
                case -2: hit = (-1, log.logStartOffset)
                default:
                    guard let found = try log.offset(forTimestamp: timestamp), found.offset < fetchable else {
                        return nil
                    }
                    hit = (found.timestamp, found.offset)
                }
                let epoch = log.leaderEpochs.entries.last { $0.startOffset <= hit.offset }?.epoch.rawValue ?? -1
                return (hit.timestamp, hit.offset, epoch)
            }
            guard let found else { return answer(.notLeaderOrFollower) }
            guard let (foundTimestamp, offset, epoch) = found else { return answer(.noError) }
            return answer(.noError, timestamp: foundTimestamp, offset: offset.rawValue, epoch: epoch)
        } catch {
            logger.error("offset lookup failed", metadata: partition.logMetadata(["error": "\(error)"]))
            // A stored batch whose records do not decompress or decode: Kafka's CorruptRecordException.
            if case SegmentLogError.corruptRecords = error { return answer(.corruptMessage) }
            return answer(.kafkaStorageError)
        }
    }

    // MARK: - OffsetForLeaderEpoch

    /// OffsetForLeaderEpoch v2–3 (KIP-101/279/320): the largest epoch ≤ the requested one and where it
    /// ended, from the leader-epoch cache; -1/-1 when the epoch is unknown.
    func offsetForLeaderEpoch(_ request: OffsetForLeaderEpochRequest) async -> OffsetForLeaderEpochResponse {
        var topics: [OffsetForLeaderEpochResponse.TopicResult] = []
        for topic in request.topics {
            var results: [OffsetForLeaderEpochResponse.EpochEndOffset] = []
            for asked in topic.partitions {
                let partition = TopicPartition(topic.topic, asked.partition)
                if case .refused(let code) = await servedLeaderEpoch(
                    of: partition, currentLeaderEpoch: asked.currentLeaderEpoch)
                {
                    results.append(.init(errorCode: code, partition: asked.partition))
                    continue
                }
                do {
                    let entry = try await partitions.withLog(partition) {
                        $0.endOffset(forEpoch: LeaderEpoch(asked.leaderEpoch))
                    }
                    guard let entry else {
                        results.append(.init(errorCode: .notLeaderOrFollower, partition: asked.partition))
                        continue
                    }
                    results.append(
                        .init(
                            errorCode: .noError, partition: asked.partition, leaderEpoch: entry?.epoch.rawValue ?? -1,
                            endOffset: entry?.startOffset.rawValue ?? -1))
                } catch {
                    results.append(.init(errorCode: .kafkaStorageError, partition: asked.partition))
                }
            }
            topics.append(.init(topic: topic.topic, partitions: results))
        }
        return OffsetForLeaderEpochResponse(topics: topics)
    }
}
