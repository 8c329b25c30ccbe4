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
        package init(_ name: String) { self.name = name }
        public var description: String { name }

        // System
        /// A system call failed; ``HandoffError/errno`` holds its `errno`.
        public static let systemCall = Code("systemCall")
        /// A configuration value or argument is invalid.
        public static let invalidArgument = Code("invalidArgument")
        /// A configuration file, option or setting (a certificate file, say) could not be read or
        /// does not parse.
        public static let invalidConfiguration = Code("invalidConfiguration")
        /// An address string does not parse.
        public static let invalidAddress = Code("invalidAddress")
        /// The task doing the work was cancelled: nothing failed, the caller gave up.
        public static let cancelled = Code("cancelled")
        /// Access refused: a control-socket client of another user, a private directory others can
        /// enter or that belongs to another user, or the operating system said no.
        public static let permissionDenied = Code("permissionDenied")
    }

    /// What kind of failure this is.
    public let code: Code
    /// What went wrong, in words a person can act on.
    public let reason: String
    /// The `errno` of the failed system call, for ``Code/systemCall`` and some others.
    public let errno: Errno?

    /// Creates an error.
    public init(_ code: Code, _ reason: String, errno: Errno? = nil) {
        self.code = code
        self.reason = reason
        self.errno = errno
    }

    public var description: String { "\(code): \(reason)" }

    /// A failed system call, named, with `strerror` of its errno.
    @usableFromInline
    package static func system(_ call: String, errno: Int32) -> HandoffError {
        let number = Errno(errno)
        return HandoffError(.systemCall, "\(call): \(number)", errno: number)
    }

    /// The same code with more context in front of the reason.
    package func context(_ prefix: String) -> HandoffError {
        HandoffError(code, "\(prefix): \(reason)", errno: errno)
    }
}
