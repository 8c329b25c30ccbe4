import HandoffSystem
/// How an ``Upgrader`` behaves. Every property has a default that suits a server under a
/// process supervisor.
public struct UpgraderConfiguration: Sendable {
    /// The binary to start on upgrade. `nil`: resolved at start from `argv[0]` (made absolute,
    /// symbolic links kept, so a deploy that replaces the file or flips a symlink is picked up).
    public var executablePath: String?
    /// The arguments of the new process, `argv[0]` included. `nil`: this process's own.
    public var arguments: [String]?
    /// How long an upgrade may take from spawn to the successor's `ACK`; past it the new process
    /// is killed and this one serves on.
    public var upgradeTimeout: Duration = .seconds(60)
    /// How long a successor waits for its predecessor's descriptors at start.
    public var inheritTimeout: Duration = .seconds(30)
    /// Where the process that takes over writes its pid (atomically). `nil`: no PID file.
    public var pidFile: String?
    /// Identifies this build in `HELLO`, for logs.
    public var buildID: String = ""
    /// The largest control-channel frame payload accepted.
    public var maxFramePayload: Int = Frame.defaultMaxPayloadLength
    /// Whether ``Upgrader/run(participant:)`` upgrades on SIGHUP.
    public var upgradesOnSIGHUP: Bool = true
    /// Where state waits when no successor takes it: offered at ``Upgrader/shutdown()``,
    /// claimed at a start with no predecessor, and the fallback when a predecessor dies
    /// mid-handover. `nil`: a ``DirectoryStore`` under the user's runtime directory, made on
    /// first use.
    public var store: (any HandoffStore)?
    /// How long offered state stays claimable; `nil` for no limit. Default: one hour — long
    /// enough for a restart or a rolling deploy to claim it, short enough that a start much
    /// later does not take stale state. An expired offer is never claimed.
    public var stateTTL: Duration? = .seconds(3600)
    /// Whether a running process follows the store's offers for every registered
    /// ``HandoffMergeable`` instance — claims what other processes offer while it runs, and
    /// merges it — even where its type's ``HandoffMergeable/handoffFollowsOffers`` is `false`.
    public var followsOffers = false
    /// How often the registered state is written to the store as this process's crash-durable
    /// checkpoint (a ``CheckpointingStore``: ``DirectoryStore``, `EtcdStore`); `nil` (the
    /// default) for none. A checkpoint is claimable only once this process is gone — a SIGKILL,
    /// the OOM killer — and is removed when the state is handed on cleanly.
    public var checkpointInterval: Duration?
    /// The largest state one instance may hand over, in bytes.
    public var maxStateSize: Int = Envelope.defaultMaxPayloadLength
    /// How the upgrader talks to systemd: notifications, socket activation, the file
    /// descriptor store.
    public var systemd = SystemdConfiguration()
    /// Whether a first start as PID 1 stays behind as a keeper that runs the program as its
    /// child and follows its upgrades (``KeeperMode/automatic``). `HANDOFF_KEEPER` overrides it.
    public var keeper: KeeperMode = .automatic
    /// Called at each named step of an upgrade, in the old process and in the new one, with the
    /// control channel's descriptor (testing SPI: fault injection).
    package var stepHook: (@Sendable (UpgradeStep, UpgradeSide, _ controlFD: CInt) -> Void)?

    /// Creates a configuration.
    public init(
        pidFile: String? = nil,
        upgradeTimeout: Duration = .seconds(60),
        executablePath: String? = nil,
        arguments: [String]? = nil,
        buildID: String = ""
    ) {
        self.pidFile = pidFile
        self.upgradeTimeout = upgradeTimeout
        self.executablePath = executablePath
        self.arguments = arguments
        self.buildID = buildID
    }
}
