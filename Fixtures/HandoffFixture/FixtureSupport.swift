import FoundationEssentials
import HandoffSystem
import HandoffServices
import HandoffOperations

/// Small pieces the fixture needs: reading its plan, listing its descriptors, printing lines.
enum FixtureSupport {
    /// The descriptors open right now, from /proc/self/fd (without the directory's own).
    static func openDescriptors() -> [Int32] {
        // The listing's own descriptor is the one that is gone once it is closed.
        guard let names = try? Syscall.directoryNames("/proc/self/fd") else { return [] }
        return names.compactMap { Int32($0) }.filter { Syscall.descriptorFlags($0).open }.sorted()
    }

    static func readPlan(_ path: String?) -> String {
        guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "ready" }
        let plan = String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        return plan.isEmpty ? "ready" : plan
    }

    static func raiseDescriptorLimit() {
        Syscall.raiseDescriptorLimit()
    }

    static func say(_ text: String, generation: Int) {
        let line = "handoff-fixture pid=\(Syscall.processID) generation=\(generation) \(text)\n"
        Syscall.writeToStandardOutput(line)
    }

    static func port(of fd: Int32) -> Int {
        Int((try? Syscall.localEndpoint(of: fd))?.address?.port ?? 0)
    }
}
