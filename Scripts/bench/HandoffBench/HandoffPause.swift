import Foundation

/// The handoff pause for a given amount of state: from the old process stopping its accept
/// (its "draining" line) to the new process having applied the state (its "restored" line),
/// over real upgrades of the fixture carrying FIXTURE_STATE_BYTES of bulk state. The pause
/// includes collecting, encoding, sending, checking and decoding the state, so bytes/pause is a
/// lower bound on the control channel's throughput.
struct HandoffPause {
    let binary: String
    let bytes: Int
    let count: Int

    func run() throws {
        let watcher = try LineWatcher(binary: binary, arguments: [], environment: ["FIXTURE_STATE_BYTES": String(bytes)])
        let first = try watcher.wait(after: 0, timeout: .seconds(120), "of the first generation being ready") { $0.contains(" restored ") }
        guard var serving = LineWatcher.speaker(of: first.line) else { throw LineWatcher.Timeout(description: "no pid") }
        var pauses: [Duration] = []
        var mark = watcher.count
        for _ in 0..<count {
            let old = serving
            kill(old, SIGHUP)
            let draining = try watcher.wait(after: mark, timeout: .seconds(120), "draining from \(old)") {
                $0.contains("event draining") && LineWatcher.speaker(of: $0) == old
            }
            let restored = try watcher.wait(after: mark, timeout: .seconds(120), "restored in the successor") {
                $0.contains(" restored ") && LineWatcher.speaker(of: $0) != old
            }
            guard restored.line.contains("blob=\(bytes)") else { throw LineWatcher.Timeout(description: "state not applied whole: \(restored.line)") }
            pauses.append(restored.at - draining.at)
            serving = LineWatcher.speaker(of: restored.line)!
            _ = try watcher.wait(after: mark, timeout: .seconds(120), "predecessor-exited") {
                $0.contains("predecessor-exited") && LineWatcher.speaker(of: $0) == serving
            }
            mark = watcher.count
        }
        kill(serving, SIGKILL)
        let sorted = pauses.sorted()
        let median = sorted[sorted.count / 2]
        let seconds = Double(median.components.seconds) + Double(median.components.attoseconds) / 1e18
        say(String(format: "state %10d bytes  upgrades=%d  pause median %9.2f ms  max %9.2f ms  ≥ %7.2f GB/s",
                   bytes, count, seconds * 1000,
                   Double(sorted.last!.components.seconds) * 1000 + Double(sorted.last!.components.attoseconds) / 1e15,
                   Double(bytes) / seconds / 1e9))
    }
}
