package import KafkaZooKeeper
package import SegmentLog

/// Everything a broker or the controller needs from the ensemble, read in one pass by `ClusterReader`:
/// live brokers, topic assignments, partition states with their znode versions, pending deletions
/// and the controller. A value: the controller and the metadata cache are fed snapshots.
package struct ClusterSnapshot: Hashable, Sendable {
    /// A live broker: its registration and its broker epoch (the registration znode's czxid).
    package struct LiveBroker: Hashable, Sendable {
        package var registration: BrokerRegistration
        package var epoch: Int64

        package init(registration: BrokerRegistration, epoch: Int64) {
            self.registration = registration
            self.epoch = epoch
        }
    }

    /// A topic znode and its data version (for version-checked rewrites).
    package struct Topic: Hashable, Sendable {
        package var assignment: TopicAssignment
        package var version: Int32

        package init(assignment: TopicAssignment, version: Int32) {
            self.assignment = assignment
            self.version = version
        }
    }

    /// A partition state znode and its data version (the partition epoch).
    package struct VersionedState: Hashable, Sendable {
        package var state: PartitionState
        package var version: Int32

        package init(state: PartitionState, version: Int32) {
            self.state = state
            self.version = version
        }
    }

    /// The controller epoch and the data version of `/controller_epoch` (the fencing token, KAFKA-6082).
    package struct ControllerEpoch: Hashable, Sendable {
        package var epoch: Int32
        package var version: Int32

        package init(epoch: Int32, version: Int32) {
            self.epoch = epoch
            self.version = version
        }
    }

    /// The `/admin/reassign_partitions` znode: what it asks and its data version (for version-checked
    /// rewrites as partitions finish).
    package struct PartitionReassignmentRequest: Hashable, Sendable {
        package var targets: [TopicPartition: [BrokerID]]
        package var version: Int32

        package init(targets: [TopicPartition: [BrokerID]], version: Int32) {
            self.targets = targets
            self.version = version
        }
    }

    package var brokers: [BrokerID: LiveBroker] = [:]
    package var topics: [String: Topic] = [:]
    package var partitionStates: [TopicPartition: VersionedState] = [:]
    /// Children of `/isr_change_notification`: leaders' ISR changes the controller has not consumed.
    package var isrChangeNotifications: [String] = []
    /// The partitions `/admin/preferred_replica_election` names; nil when it does not exist.
    package var preferredReplicaElection: Set<TopicPartition>?
    /// `/admin/reassign_partitions`: target replicas by partition and the znode's data version; nil when
    /// it does not exist, no targets when it could not be decoded (the controller deletes it then).
    package var partitionReassignment: PartitionReassignmentRequest?
    /// Topics whose config overrides `unclean.leader.election.enable` (read only for an active controller:
    /// `ClusterReader.read(watch:topicConfigs:)`).
    package var uncleanLeaderElection: [String: Bool] = [:]
    /// Children of `/admin/delete_topics`.
    package var pendingDeletions: Set<String> = []
    /// The broker named in `/controller`, nil when there is none.
    package var controller: BrokerID?
    /// `/controller_epoch`, nil before the first election.
    package var controllerEpoch: ControllerEpoch?
    /// Whether `/feature` exists.
    package var featureNodeExists = false
    /// Znodes that could not be decoded (skipped), one message each.
    package var problems: [String] = []

    package init() {}

    /// Live broker ids, ascending.
    package var liveBrokerIDs: [BrokerID] { brokers.keys.sorted() }
}
