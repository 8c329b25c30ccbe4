#if canImport(Glibc)
import Glibc
#endif

/// The one error type the package throws: a ``Code`` that says what kind of failure it was and a
/// reason a person can act on.
///
/// Codes are a struct rather than an enum so that new ones can be added without breaking
/// `switch` statements in client code; compare with `==` or pattern-match with `~=`:
///
/// ```swift
/// do { let pid = try await upgrader.upgrade() }
/// catch let error as HandoffError where error.code == .upgradeInProgress { … }
/// ```
public struct HandoffError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        /// A short stable name, such as `"checksumMismatch"`.
        public let name: String
        init(_ name: String) { self.name = name }
        public var description: String { name }

        // System
        /// A system call failed; ``HandoffError/systemErrno`` holds `errno`.
        public static let systemCall = Code("systemCall")
        /// A configuration value or argument is invalid.
        public static let invalidArgument = Code("invalidArgument")

        // Wire
        /// A frame did not start with the `HOFF` magic.
        public static let badMagic = Code("badMagic")
        /// A frame or envelope carries a format version this build cannot speak.
        public static let unsupportedVersion = Code("unsupportedVersion")
        /// A frame's type byte is not one this build knows.
        public static let unknownFrameType = Code("unknownFrameType")
        /// A frame's declared length exceeds the configured cap.
        public static let frameTooLarge = Code("frameTooLarge")
        /// A frame's CRC32C does not match its contents.
        public static let checksumMismatch = Code("checksumMismatch")
        /// The stream ended in the middle of a frame.
        public static let truncatedFrame = Code("truncatedFrame")
        /// A frame's payload does not parse as its type says it should.
        public static let malformedPayload = Code("malformedPayload")
        /// A well-formed frame arrived where the protocol does not allow it.
        public static let unexpectedFrame = Code("unexpectedFrame")
        /// Descriptors arrived that no frame accounts for, or fewer than a frame announced, or
        /// the kernel truncated them (`MSG_CTRUNC`).
        public static let descriptorCountMismatch = Code("descriptorCountMismatch")
        /// A message on the control channel came from a process other than the expected peer.
        public static let peerMismatch = Code("peerMismatch")

        // State
        /// An envelope ended before the length its header promises.
        public static let truncatedEnvelope = Code("truncatedEnvelope")
        /// An envelope's payload exceeds the configured cap.
        public static let envelopeTooLarge = Code("envelopeTooLarge")
        /// State was written by a newer version than this reader knows; it stays offered.
        public static let newerVersion = Code("newerVersion")
        /// The state cannot be migrated from the version it was written in.
        public static let migrationFailed = Code("migrationFailed")
        /// A value could not be encoded or decoded by the handoff codec.
        public static let codingFailed = Code("codingFailed")
        /// Two ``HandoffAware`` instances were registered under one label and key.
        public static let duplicateRegistration = Code("duplicateRegistration")
        /// A state store could not do what was asked (full disk, unwritable directory…).
        public static let storeFailed = Code("storeFailed")
        /// A claim is no longer held: it expired, was released, or another claimer took over.
        public static let claimLost = Code("claimLost")
        /// A state store could not be reached: every endpoint refused the connection or timed
        /// out. The reason says whether the request may have been applied.
        public static let storeUnreachable = Code("storeUnreachable")
        /// A state store refused the credentials given, or asked for some and none were given.
        public static let accessDenied = Code("accessDenied")

        // Descriptors
        /// Two descriptors were registered under one name.
        public static let duplicateName = Code("duplicateName")
        /// An inherited descriptor is not what its name promises (wrong type, family, address,
        /// or not listening).
        public static let descriptorMismatch = Code("descriptorMismatch")
        /// No descriptor is registered under the name.
        public static let unknownDescriptor = Code("unknownDescriptor")
        /// An address string does not parse.
        public static let invalidAddress = Code("invalidAddress")

        // Upgrade
        /// An upgrade was requested while another is in flight.
        public static let upgradeInProgress = Code("upgradeInProgress")
        /// The process cannot upgrade yet: it is not ready, or its own predecessor has not exited.
        public static let notReady = Code("notReady")
        /// The process has already been replaced by a successor.
        public static let alreadyReplaced = Code("alreadyReplaced")
        /// The new process could not be started.
        public static let spawnFailed = Code("spawnFailed")
        /// The new process exited (or closed the control channel) before it took over.
        public static let childExited = Code("childExited")
        /// The new process refused the handover (`NACK`).
        public static let childRefused = Code("childRefused")
        /// The upgrade did not finish within its deadline; the new process was killed.
        public static let deadlineExceeded = Code("deadlineExceeded")
        /// The peer speaks a protocol version this build does not.
        public static let protocolMismatch = Code("protocolMismatch")
        /// The old process went away before it finished handing over.
        public static let predecessorLost = Code("predecessorLost")
        /// The application's participant failed to drain.
        public static let drainFailed = Code("drainFailed")

        // Lifecycle
        /// A service managed by a ``ServiceRunner`` threw: the runner stopped every service.
        public static let serviceFailed = Code("serviceFailed")
        /// A service's readiness check did not pass within its deadline.
        public static let serviceNotReady = Code("serviceNotReady")
        /// A service's ``ManagedService/initialize()`` did not return within
        /// ``RunnerConfiguration/initializeTimeout``.
        public static let serviceInitializeTimedOut = Code("serviceInitializeTimedOut")
        /// A service's ``ManagedService/run()`` ignored both its graceful stop and its
        /// cancellation past ``RunnerConfiguration/stopGracePeriod``: the runner stopped waiting
        /// for it.
        public static let serviceStuck = Code("serviceStuck")
        /// A configuration file or option could not be read or does not parse.
        public static let invalidConfiguration = Code("invalidConfiguration")

        // Control
        /// A control-socket client runs as a user other than the server's (and is not root), or
        /// the operating system refused access to the socket.
        public static let permissionDenied = Code("permissionDenied")
        /// What was asked for is not available in this build (a store URL scheme, a command).
        public static let unsupported = Code("unsupported")
        // Supervision and mailboxes
        /// A ``Supervisor``'s children needed more restarts within its
        /// ``RestartIntensity/period`` than ``RestartIntensity/maxRestarts``: it stopped them all
        /// and failed, to its parent supervisor or its runner.
        public static let restartIntensityExceeded = Code("restartIntensityExceeded")
        /// A ``Mailbox`` asked to accept a message without waiting was full.
        public static let mailboxFull = Code("mailboxFull")
        /// A ``Mailbox`` was closed: it accepts no message.
        public static let mailboxClosed = Code("mailboxClosed")
        /// A ``Mailbox``'s messages are being handed to a successor: it accepts none until the
        /// handover is abandoned.
        public static let mailboxHandedOver = Code("mailboxHandedOver")
    }

    /// What kind of failure this is.
    public let code: Code
    /// What went wrong, in words a person can act on.
    public let reason: String
    /// The `errno` of the failed system call, for ``Code/systemCall`` and some others.
    public let systemErrno: Int32?

    /// Creates an error.
    public init(_ code: Code, _ reason: String, errno: Int32? = nil) {
        self.code = code
        self.reason = reason
        self.systemErrno = errno
    }

    public var description: String { "\(code): \(reason)" }

    /// A failed system call, named, with `strerror` of its errno.
    static func system(_ call: String, errno: Int32) -> HandoffError {
        HandoffError(.systemCall, "\(call): \(String(cString: strerror(errno))) (errno \(errno))", errno: errno)
    }

    /// The same code with more context in front of the reason.
    func context(_ prefix: String) -> HandoffError {
        HandoffError(code, "\(prefix): \(reason)", errno: systemErrno)
    }
}
