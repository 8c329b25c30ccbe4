import HandoffSystem
/// A named point of the upgrade protocol, for fault injection in tests.
///
/// Set ``UpgraderConfiguration/stepHook`` (testing SPI) to be called at each, in the old process
/// and in the new one; a test fixture kills itself, stops, or writes a malformed frame there to
/// prove that the other side survives. Each step is named from the protocol's point of view, so
/// both processes pass it, each at its own side of the frame:
///
/// | step | old process | new process |
/// |---|---|---|
/// | `afterHello` | `HELLO` received | `HELLO` sent |
/// | `midFDS` | the first `FDS` batch sent | the first `FDS` batch received |
/// | `afterFDSEnd` | `FDS_END` sent | `FDS_END` received |
/// | `beforeReady` | waiting for `READY` | about to send `READY` |
/// | `afterReady` | `READY` received, drain not begun | `READY` sent |
/// | `midState` | the first state envelope sent whole | the first state envelope received whole |
/// | `beforeAck` | `STATE_END` sent, `ACK` not read | state applied, `ACK` not sent |

package enum UpgradeStep: String, Sendable, CaseIterable {
    case afterHello = "after-hello"
    case midFDS = "mid-fds"
    case afterFDSEnd = "after-fds-end"
    case beforeReady = "before-ready"
    case afterReady = "after-ready"
    case midState = "mid-state"
    case beforeAck = "before-ack"
}

/// Which process of an upgrade a ``UpgradeStep`` hook runs in.

package enum UpgradeSide: String, Sendable, CaseIterable {
    /// The process being replaced.
    case old
    /// The process taking over.
    case new
}
