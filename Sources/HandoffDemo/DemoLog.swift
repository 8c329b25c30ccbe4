import HandoffSystem
import HandoffServices
import HandoffOperations

/// Writes the demo's one-line status reports to standard output.
///
/// Every line starts with `handoff-demo pid=<pid> generation=<n>`; tests and benchmarks read
/// them through a pipe, so `main.swift` makes standard output line-buffered and each line is
/// flushed as it is printed.
struct DemoLog: Sendable {
    private let prefix: String

    /// - Parameter generation: The upgrade generation of this process.
    init(generation: Int) {
        prefix = "handoff-demo pid=\(Syscall.processID) generation=\(generation)"
    }

    /// This process's generation as its environment tells it (what ``Upgrader`` reads), for
    /// lines printed before or without the upgrader.
    static var currentGeneration: Int {
        Environment.value("HANDOFF_GENERATION").flatMap { Int($0) } ?? 1
    }

    /// Prints `<prefix> <message>` as one line.
    func callAsFunction(_ message: String) {
        print("\(prefix) \(message)")
    }
}
