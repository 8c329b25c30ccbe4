import Handoff
import HandoffSystem

// The codes of the process framework: services, supervision, mailboxes.
extension HandoffError.Code {
    // Lifecycle
    /// A service managed by a ``ServiceRunner`` threw: the runner stopped every service.
    public static let serviceFailed = Self("serviceFailed")
    /// A service's readiness check did not pass within its deadline.
    public static let serviceNotReady = Self("serviceNotReady")
    /// A service's ``ManagedService/initialize()`` did not return within
    /// ``RunnerConfiguration/initializeTimeout``.
    public static let serviceInitializeTimedOut = Self("serviceInitializeTimedOut")
    /// A service's ``ManagedService/run()`` ignored both its graceful stop and its
    /// cancellation past ``RunnerConfiguration/stopGracePeriod``: the runner stopped waiting
    /// for it.
    public static let serviceStuck = Self("serviceStuck")
    // Supervision and mailboxes
    /// A ``Supervisor``'s children needed more restarts within its
    /// ``RestartIntensity/period`` than ``RestartIntensity/maxRestarts``: it stopped them all
    /// and failed, to its parent supervisor or its runner.
    public static let restartIntensityExceeded = Self("restartIntensityExceeded")
    /// A ``Mailbox`` asked to accept a message without waiting was full.
    public static let mailboxFull = Self("mailboxFull")
    /// A ``Mailbox`` was closed: it accepts no message.
    public static let mailboxClosed = Self("mailboxClosed")
    /// A ``Mailbox``'s messages are being handed to a successor: it accepts none until the
    /// handover is abandoned.
    public static let mailboxHandedOver = Self("mailboxHandedOver")
}
