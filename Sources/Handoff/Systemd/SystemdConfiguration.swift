import HandoffSystem
/// How an ``Upgrader`` talks to systemd. Nothing here does anything outside a service manager:
/// notifications need `$NOTIFY_SOCKET`, socket activation `$LISTEN_FDS` for this pid.
///
/// ```swift
/// var configuration = UpgraderConfiguration()
/// configuration.systemd.storesDescriptors = true   // FileDescriptorStoreMax= in the unit
/// ```
public struct SystemdConfiguration: Sendable {
    /// Whether to send `sd_notify` messages (`READY=1`, `RELOADING=1`, `MAINPID=`, `STOPPING=1`,
    /// `STATUS=`, `WATCHDOG=1`, `EXTEND_TIMEOUT_USEC=`) when `$NOTIFY_SOCKET` is set.
    public var notifies: Bool = true
    /// Whether a first start adopts the sockets systemd passes (`LISTEN_FDS`, `LISTEN_PID`,
    /// `LISTEN_FDNAMES`) as inherited named descriptors.
    public var adoptsActivatedSockets: Bool = true
    /// Whether to keep the listeners and a checkpoint of the state in systemd's file
    /// descriptor store (`FDSTORE=1`), so a crash-restart keeps both. Needs
    /// `FileDescriptorStoreMax=` in the unit.
    public var storesDescriptors: Bool = false
    /// How often the state checkpoint in the file descriptor store is renewed.
    public var stateCheckpointInterval: Duration = .seconds(5)
    /// How long a drain runs before the timeout is extended (`EXTEND_TIMEOUT_USEC=`), and how
    /// often it is extended again while the drain lasts; each extension grants three of these.
    public var drainExtensionInterval: Duration = .seconds(5)

    /// Creates the defaults: notify and adopt when systemd asks, no file descriptor store.
    public init() {}
}
