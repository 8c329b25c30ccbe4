import HandoffSystem

// The codes of the core layer: the wire, state, descriptors and the upgrade.
extension HandoffError.Code {
    // Wire
    /// A frame did not start with the `HOFF` magic.
    public static let badMagic = Self("badMagic")
    /// A frame or envelope carries a format version this build cannot speak.
    public static let unsupportedVersion = Self("unsupportedVersion")
    /// A frame's type byte is not one this build knows.
    public static let unknownFrameType = Self("unknownFrameType")
    /// A frame's declared length exceeds the configured cap.
    public static let frameTooLarge = Self("frameTooLarge")
    /// A frame's CRC32C does not match its contents.
    public static let checksumMismatch = Self("checksumMismatch")
    /// The stream ended in the middle of a frame.
    public static let truncatedFrame = Self("truncatedFrame")
    /// A frame's payload does not parse as its type says it should.
    public static let malformedPayload = Self("malformedPayload")
    /// A well-formed frame arrived where the protocol does not allow it.
    public static let unexpectedFrame = Self("unexpectedFrame")
    /// Descriptors arrived that no frame accounts for, or fewer than a frame announced, or
    /// the kernel truncated them (`MSG_CTRUNC`).
    public static let descriptorCountMismatch = Self("descriptorCountMismatch")
    /// A message on the control channel came from a process other than the expected peer.
    public static let peerMismatch = Self("peerMismatch")
    // State
    /// An envelope ended before the length its header promises.
    public static let truncatedEnvelope = Self("truncatedEnvelope")
    /// An envelope's payload exceeds the configured cap.
    public static let envelopeTooLarge = Self("envelopeTooLarge")
    /// State was written by a newer version than this reader knows; it stays offered.
    public static let newerVersion = Self("newerVersion")
    /// The state cannot be migrated from the version it was written in.
    public static let migrationFailed = Self("migrationFailed")
    /// A value could not be encoded or decoded by the handoff codec.
    public static let codingFailed = Self("codingFailed")
    /// Two ``HandoffAware`` instances were registered under one label and key.
    public static let duplicateRegistration = Self("duplicateRegistration")
    /// A state store could not do what was asked (full disk, unwritable directory…).
    public static let storeFailed = Self("storeFailed")
    /// A claim is no longer held: it expired, was released, or another claimer took over.
    public static let claimLost = Self("claimLost")
    /// A state store could not be reached: every endpoint refused the connection or timed
    /// out. The reason says whether the request may have been applied.
    public static let storeUnreachable = Self("storeUnreachable")
    /// A state store refused the credentials given, or asked for some and none were given.
    public static let accessDenied = Self("accessDenied")
    // Descriptors
    /// Two descriptors were registered under one name.
    public static let duplicateName = Self("duplicateName")
    /// An inherited descriptor is not what its name promises (wrong type, family, address,
    /// or not listening).
    public static let descriptorMismatch = Self("descriptorMismatch")
    /// No descriptor is registered under the name.
    public static let unknownDescriptor = Self("unknownDescriptor")
    // Upgrade
    /// An upgrade was requested while another is in flight.
    public static let upgradeInProgress = Self("upgradeInProgress")
    /// The process cannot upgrade yet: it is not ready, or its own predecessor has not exited.
    public static let notReady = Self("notReady")
    /// The process has already been replaced by a successor.
    public static let alreadyReplaced = Self("alreadyReplaced")
    /// The process is PID 1 of its PID namespace without a keeper: its exit after a handover
    /// would end its successor too, so the upgrade is refused (see ``KeeperMode``).
    public static let noKeeper = Self("noKeeper")
    /// The new process could not be started.
    public static let spawnFailed = Self("spawnFailed")
    /// The new process exited (or closed the control channel) before it took over.
    public static let childExited = Self("childExited")
    /// The new process refused the handover (`NACK`).
    public static let childRefused = Self("childRefused")
    /// The upgrade did not finish within its deadline; the new process was killed.
    public static let deadlineExceeded = Self("deadlineExceeded")
    /// The peer speaks a protocol version this build does not.
    public static let protocolMismatch = Self("protocolMismatch")
    /// The old process went away before it finished handing over.
    public static let predecessorLost = Self("predecessorLost")
    /// The application's participant failed to drain.
    public static let drainFailed = Self("drainFailed")
    /// What was asked for is not available in this build (a store URL scheme, a command).
    public static let unsupported = Self("unsupported")
}
