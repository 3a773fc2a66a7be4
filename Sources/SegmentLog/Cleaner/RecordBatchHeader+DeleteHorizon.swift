package import KafkaWire

extension RecordBatchAttributes {
    /// Bit 6 (KIP-534): the batch's base timestamp is the delete horizon of its tombstones.
    package static let deleteHorizonBit: Int16 = 0x40

    package var hasDeleteHorizon: Bool {
        get { rawValue & Self.deleteHorizonBit != 0 }
        set { rawValue = newValue ? rawValue | Self.deleteHorizonBit : rawValue & ~Self.deleteHorizonBit }
    }
}

extension RecordBatchHeader {
    /// The delete horizon stamped on the batch by the cleaner (KIP-534), if any.
    package var deleteHorizon: Int64? { attributes.hasDeleteHorizon ? baseTimestamp : nil }
}
