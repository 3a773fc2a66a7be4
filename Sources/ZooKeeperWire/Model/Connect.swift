/// The session handshake, sent without a `RequestHeader`.
///
/// ```
/// class ConnectRequest {
///     int protocolVersion; long lastZxidSeen; int timeOut; long sessionId; buffer passwd;
///     // boolean readOnly;  (3.4+, optional: absent from old clients; 44 or 45 bytes)
/// }
/// ```
public struct ConnectRequest: Hashable, Sendable {
    public var protocolVersion: Int32
    public var lastZxidSeen: Zxid
    /// Requested session timeout in milliseconds.
    public var timeout: Int32
    public var sessionID: SessionID
    public var password: [UInt8]
    /// nil when the client sent no readOnly byte (pre-3.4 clients).
    public var readOnly: Bool?

    public init(
        protocolVersion: Int32 = 0, lastZxidSeen: Zxid = .zero, timeout: Int32,
        sessionID: SessionID = .none, password: [UInt8] = [UInt8](repeating: 0, count: 16), readOnly: Bool? = false
    ) {
        self.protocolVersion = protocolVersion
        self.lastZxidSeen = lastZxidSeen
        self.timeout = timeout
        self.sessionID = sessionID
        self.password = password
        self.readOnly = readOnly
    }
}

/// ```
/// class ConnectResponse {
///     int protocolVersion; int timeOut; long sessionId; buffer passwd;
///     // boolean readOnly;  (sent only when the request carried it)
/// }
/// ```
/// `timeOut == 0` with `sessionId == 0` tells the client its session is invalid or expired.
public struct ConnectResponse: Hashable, Sendable {
    public var protocolVersion: Int32
    /// Negotiated session timeout in milliseconds.
    public var timeout: Int32
    public var sessionID: SessionID
    public var password: [UInt8]
    public var readOnly: Bool?

    public init(protocolVersion: Int32 = 0, timeout: Int32, sessionID: SessionID, password: [UInt8], readOnly: Bool?) {
        self.protocolVersion = protocolVersion
        self.timeout = timeout
        self.sessionID = sessionID
        self.password = password
        self.readOnly = readOnly
    }

    /// The answer to a reconnect whose session is gone or whose password is wrong.
    public static func invalidSession(readOnly: Bool?) -> ConnectResponse {
        ConnectResponse(timeout: 0, sessionID: .none, password: [UInt8](repeating: 0, count: 16), readOnly: readOnly)
    }
}
