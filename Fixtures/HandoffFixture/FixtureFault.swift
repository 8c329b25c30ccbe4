import FoundationEssentials
import Handoff
import HandoffSystem
import HandoffServices
import HandoffOperations

/// A fault the plan asks for at one step of an upgrade: `fault <side>:<step>:<action>`, with
/// side `old` or `new`, a step of ``UpgradeStep`` (`after-hello`, `mid-fds`, …) and an action:
///   kill     SIGKILL this process there
///   hang     stop there (SIGSTOP): alive, silent, until a SIGCONT or a SIGKILL
///   garbage  write a malformed frame (unknown type, bad checksum) on the control channel, go on
struct FixtureFault: Sendable {
    enum Action: String, Sendable {
        case kill, hang, garbage
    }

    var side: UpgradeSide
    var step: UpgradeStep
    var action: Action

    /// The fault a plan names, if it names one.
    init?(plan: String) {
        let words = plan.split(separator: " ")
        guard words.count == 2, words[0] == "fault" else { return nil }
        let parts = words[1].split(separator: ":").map(String.init)
        guard parts.count == 3, let side = UpgradeSide(rawValue: parts[0]), let step = UpgradeStep(rawValue: parts[1]),
              let action = Action(rawValue: parts[2]) else { return nil }
        self.side = side
        self.step = step
        self.action = action
    }

    /// A step hook that injects the fault its plan names: the new process's plan is the one it
    /// started with; the old process reads the plan file at each step, so a test can "deploy"
    /// a fault into a running process and clear it again.
    static func hook(startPlan: String, planFile: String?) -> @Sendable (UpgradeStep, UpgradeSide, CInt) -> Void {
        { step, side, controlFD in
            let plan = side == .new ? startPlan : FixtureSupport.readPlan(planFile)
            guard let fault = FixtureFault(plan: plan), fault.side == side, fault.step == step else { return }
            fault.inject(controlFD: controlFD)
        }
    }

    func inject(controlFD: CInt) {
        switch action {
        // raise(), not kill(Syscall.processID): a signal sent to the process may be taken by another
        // thread, and this one would run on a moment — past the step — before it stops.
        case .kill:
            Syscall.raise(.kill)
        case .hang:
            Syscall.raise(.stop)
        case .garbage:
            // Magic and version right, then a frame type nobody knows and a checksum that fails.
            let frame: [UInt8] = Array("HOFF".utf8) + [Frame.protocolVersion, 0x63, 0, 0, 0, 0, 0, 0, 0xDE, 0xAD, 0xBE, 0xEF]
            try? Syscall.writeAll(controlFD, frame)
        }
    }
}
