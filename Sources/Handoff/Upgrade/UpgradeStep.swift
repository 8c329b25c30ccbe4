/// A named point of the upgrade protocol in the old process, for fault injection in tests.
///
/// Set ``UpgraderConfiguration/stepHook`` (testing SPI) to be called at each; a test fixture
/// kills itself, hangs, or misbehaves there to prove the other side survives.
@_spi(Testing)
public enum UpgradeStep: String, Sendable, CaseIterable {
    /// `HELLO` arrived from the new process.
    case afterHello = "after-hello"
    /// `FDS_END` was sent.
    case afterFDSEnd = "after-fds-end"
    /// `READY` arrived; the drain has not started.
    case afterReady = "after-ready"
    /// The first state envelope was sent whole; the rest and `STATE_END` were not.
    case midState = "mid-state"
    /// `STATE_END` was sent; the `ACK` has not been read.
    case beforeAck = "before-ack"
}
