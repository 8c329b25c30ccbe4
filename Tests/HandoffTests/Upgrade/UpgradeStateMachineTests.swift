import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport

@Suite("The upgrade state machine", .offCooperativePool)
struct UpgradeStateMachineTests {
    @Test("a first generation upgrades only after ready(), one upgrade at a time")
    func rootProcess() {
        var machine = UpgradeStateMachine()
        #expect(machine.requestUpgrade()?.code == .notReady)
        #expect(machine.ready(hasPredecessor: false) == .writePIDFile)
        #expect(machine.ready(hasPredecessor: false) != .writePIDFile)  // only once
        #expect(machine.requestUpgrade()?.reason.contains("restoring its state") == true)
        machine.settleState()
        #expect(machine.requestUpgrade() == nil)
        #expect(machine.requestUpgrade()?.code == .upgradeInProgress)
        machine.upgradeFailed()
        #expect(machine.requestUpgrade() == nil)
        machine.upgradeCommitted(to: 42)
        #expect(machine.requestUpgrade()?.code == .alreadyReplaced)
        #expect(machine.state == .replaced(42))
    }

    @Test("a successor upgrades only once its predecessor has exited")
    func successor() {
        var machine = UpgradeStateMachine()
        #expect(machine.ready(hasPredecessor: true) == .sendReady)
        #expect(machine.requestUpgrade()?.code == .notReady)
        machine.handoverFinished()
        machine.settleState()
        #expect(machine.state == .awaitingPredecessorExit)
        #expect(machine.requestUpgrade()?.reason.contains("predecessor has not exited") == true)
        machine.predecessorGone()
        #expect(machine.requestUpgrade() == nil)
    }
}
