package import KafkaZooKeeper
/// Why a broker stopped or could not start. One line each.
package enum BrokerError: Error, Equatable, CustomStringConvertible {
    /// Another live broker is registered with our `broker.id`.
    case brokerIDInUse(BrokerID, registeredEndpoints: [String], ownerSession: Int64)
    /// Our previous registration (same endpoints) did not vanish within the wait.
    case previousRegistrationStuck(BrokerID, waited: Duration)
    /// The ensemble expired our session; the server starts a new one.
    case sessionExpired
    /// The client closed without us asking (e.g. authentication failed).
    case sessionClosed
    /// A Kafka listener could not bind its address.
    case listenerFailed(endpoint: String, reason: String)
    /// The ensemble refused a write (NOAUTH): the node's ACL names another identity than ours.
    case notAuthorized(path: String, user: String?)

    package var description: String {
        switch self {
        case .brokerIDInUse(let id, let endpoints, let owner):
            "broker.id \(id) is already registered by another live broker (session 0x\(String(owner, radix: 16)), "
                + "endpoints \(endpoints.joined(separator: ","))): choose a different broker.id"
        case .previousRegistrationStuck(let id, let waited):
            "the registration of broker \(id) by a previous session did not expire within \(waited)"
        case .sessionExpired: "the ensemble expired the broker's session"
        case .sessionClosed: "the ensemble session closed unexpectedly"
        case .listenerFailed(let endpoint, let reason): "cannot listen on \(endpoint): \(reason)"
        case .notAuthorized(let path, let user?):
            "the ensemble refused to let digest user \(user) change \(path) (NOAUTH): every broker of a cluster "
                + "needs the same paddock.zookeeper.digest.user and password"
        case .notAuthorized(let path, nil):
            "the ensemble refused to let this broker change \(path) (NOAUTH): the cluster's znodes have ACLs "
                + "(zookeeper.set.acl); set paddock.zookeeper.digest.user and paddock.zookeeper.digest.password.file"
        }
    }
}
