import Foundation
import HandoffSystem
import HandoffServices
import HandoffOperations

/// The handoff pause for a given amount of state: from the old process stopping its accept
/// (its "draining" line) to the new process having applied the state (its "restored" line),
/// over real upgrades of the fixture carrying FIXTURE_STATE_BYTES of bulk state. The pause
/// includes collecting, encoding, sending, checking and decoding the state. The control
/// channel's own throughput is timed from the old process's "handing-over" line (state
/// encoded, first byte about to go) to the new one's "handover-received" (every envelope
/// arrived and checked).
struct HandoffPause {
    let binary: String
    let bytes: Int
    let count: Int

    func run() throws {
        let watcher = try LineWatcher(binary: binary, arguments: [], environment: [
            "FIXTURE_STATE_BYTES": String(bytes), "FIXTURE_MAX_STATE_BYTES": String(2 * bytes + (1 << 20)),
        ])
        let first = try watcher.wait(after: 0, timeout: .seconds(120), "of the first generation being ready") { $0.contains(" restored ") }
        guard var serving = LineWatcher.speaker(of: first.line) else { throw LineWatcher.Timeout(description: "no pid") }
        var pauses: [Duration] = []
        var transfers: [Duration] = []
        var mark = watcher.count
        for _ in 0..<count {
            let old = serving
            kill(old, SIGHUP)
            let draining = try watcher.wait(after: mark, timeout: .seconds(120), "draining from \(old)") {
                $0.contains("event draining") && LineWatcher.speaker(of: $0) == old
            }
            let sending = try watcher.wait(after: mark, timeout: .seconds(120), "handing-over from \(old)") {
                $0.contains("event handing-over") && LineWatcher.speaker(of: $0) == old
            }
            let received = try watcher.wait(after: mark, timeout: .seconds(120), "handover-received in the successor") {
                $0.contains("event handover-received") && LineWatcher.speaker(of: $0) != old
            }
            transfers.append(received.at - sending.at)
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
        func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
        let pause = pauses.sorted()
        let transfer = seconds(transfers.sorted()[transfers.count / 2])
        say(String(format: "state %10d bytes  upgrades=%d  pause median %8.1f ms  max %8.1f ms   channel median %7.1f ms = %5.2f GB/s",
                   bytes, count, seconds(pause[pause.count / 2]) * 1000, seconds(pause.last!) * 1000,
                   transfer * 1000, Double(bytes) / transfer / 1e9))
    }
}
