import CHandoff
import Foundation
import HandoffSystem
import HandoffServices
import HandoffOperations

/// SIGHUP → successor READY and SIGHUP → old process gone, over `count` upgrades; and, in the
/// same run, the bare start → exit of the same binary (``BareStart``), so the protocol's own
/// cost shows: READY minus the bare start, and READY as a multiple of it.
///
/// READY is timed when the old process's "successor-ready" line is read from the shared stdout
/// pipe; the exit is timed by a pidfd becoming readable, which the kernel signals at exit.
///
/// With `keeper`, the same run also measures every upgrade through the keeper
/// (`HANDOFF_KEEPER=always`: SIGHUP goes to the keeper, which forwards it to the current main
/// process) and prints the ratio to the direct baseline.
struct UpgradeLatency {
    let binary: String
    let arguments: [String]
    let count: Int
    let extraDescriptors: Int?
    var keeper = false

    func run() throws {
        let label = extraDescriptors.map { "\($0) extra fds" } ?? "idle demo"
        let direct = try measure(throughKeeper: false)
        report(label, direct)
        guard keeper else { return }
        let kept = try measure(throughKeeper: true)
        report(label + ", keeper", kept)
        say(String(format: "keeper/direct    SIGHUP→READY median ratio %.2f   SIGHUP→old gone median ratio %.2f",
                     milliseconds(median(kept.toReady)) / milliseconds(median(direct.toReady)),
                     milliseconds(median(kept.toGone)) / milliseconds(median(direct.toGone))))
    }

    /// One run's samples: the upgrades and, interleaved with them, the bare starts.
    private struct Times {
        var toReady: [Duration]
        var toGone: [Duration]
        var bareStarts: [Duration]
    }

    private func report(_ label: String, _ times: Times) {
        let padded = label.padding(toLength: 22, withPad: " ", startingAt: 0)
        say(padded + String(format: " upgrades=%d  SIGHUP→READY median %7.2f ms  max %7.2f ms   SIGHUP→old gone median %7.2f ms  max %7.2f ms",
                     count,
                     milliseconds(median(times.toReady)), milliseconds(times.toReady.max()!),
                     milliseconds(median(times.toGone)), milliseconds(times.toGone.max()!)))
        let readyMedian = milliseconds(median(times.toReady)), bareMedian = milliseconds(median(times.bareStarts))
        say(String(repeating: " ", count: 22) + String(format: " bare start→exit median %7.2f ms   protocol cost (READY − bare) %7.2f ms   READY = %.2f× bare",
                     bareMedian, readyMedian - bareMedian, readyMedian / bareMedian))
    }

    private func measure(throughKeeper: Bool) throws -> Times {
        var environment: [String: String] = ["HANDOFF_KEEPER": throughKeeper ? "always" : "off"]
        if let extraDescriptors { environment["FIXTURE_EXTRA_FDS"] = String(extraDescriptors) }
        let watcher = try LineWatcher(binary: binary, arguments: arguments, environment: environment)
        let keeperPID = watcher.process.processIdentifier
        let first = try watcher.wait(after: 0, "of the first generation being ready") {
            $0.contains("listening=") || $0.hasSuffix(" ready")
        }
        guard var serving = LineWatcher.speaker(of: first.line) else { throw LineWatcher.Timeout(description: "no pid in \(first.line)") }
        var toReady: [Duration] = []
        var toGone: [Duration] = []
        var mark = watcher.count
        let bare = extraDescriptors == nil
            ? BareStart(binary: binary, arguments: ["--help"], environment: [:])
            : BareStart(binary: binary, arguments: [], environment: ["FIXTURE_EXIT_IMMEDIATELY": "1"])
        var bareStarts: [Duration] = []
        for _ in 0..<count {
            bareStarts.append(try bare.measure())
            let pidfd = chandoff_pidfd_open(serving)
            guard pidfd >= 0 else { throw LineWatcher.Timeout(description: "pidfd_open(\(serving)) failed: errno \(errno)") }
            let old = serving
            let start = ContinuousClock.now
            kill(throughKeeper ? keeperPID : old, SIGHUP)
            let ready = try watcher.wait(after: mark, "successor-ready from \(old)") {
                $0.contains("successor-ready") && LineWatcher.speaker(of: $0) == old
            }
            var poller = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 30_000) == 1 else { throw LineWatcher.Timeout(description: "pid \(old) did not exit") }
            let gone = ContinuousClock.now
            close(pidfd)
            toReady.append(ready.at - start)
            toGone.append(gone - start)
            guard let successor = LineWatcher.field("pid", in: ready.line, last: true).flatMap(Int32.init) else {
                throw LineWatcher.Timeout(description: "no successor pid in \(ready.line)")
            }
            _ = try watcher.wait(after: mark, "predecessor-exited from \(successor)") {
                $0.contains("predecessor-exited") && LineWatcher.speaker(of: $0) == successor
            }
            mark = watcher.count
            serving = successor
        }
        kill(throughKeeper ? keeperPID : serving, SIGTERM)
        watcher.process.waitUntilExit()
        return Times(toReady: toReady, toGone: toGone, bareStarts: bareStarts)
    }

    private func median(_ values: [Duration]) -> Duration {
        let sorted = values.sorted()
        return sorted[sorted.count / 2]
    }

    private func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
