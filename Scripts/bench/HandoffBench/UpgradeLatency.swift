import CHandoff
import Foundation

/// SIGHUP → successor READY and SIGHUP → old process gone, over `count` upgrades; and, in the
/// same run, the bare start → exit of the same binary (``BareStart``), so the protocol's own
/// cost shows: READY minus the bare start, and READY as a multiple of it.
///
/// READY is timed when the old process's "successor-ready" line is read from the shared stdout
/// pipe; the exit is timed by a pidfd becoming readable, which the kernel signals at exit.
struct UpgradeLatency {
    let binary: String
    let arguments: [String]
    let count: Int
    let extraDescriptors: Int?

    func run() throws {
        var environment: [String: String] = [:]
        if let extraDescriptors { environment["FIXTURE_EXTRA_FDS"] = String(extraDescriptors) }
        let watcher = try LineWatcher(binary: binary, arguments: arguments, environment: environment)
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
            kill(old, SIGHUP)
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
        kill(serving, SIGTERM)
        let label = extraDescriptors.map { "\($0) extra fds" } ?? "idle demo"
        say(String(format: "%-16@ upgrades=%d  SIGHUP→READY median %7.2f ms  max %7.2f ms   SIGHUP→old gone median %7.2f ms  max %7.2f ms",
                     label as NSString, count,
                     milliseconds(median(toReady)), milliseconds(toReady.max()!),
                     milliseconds(median(toGone)), milliseconds(toGone.max()!)))
        let readyMedian = milliseconds(median(toReady)), bareMedian = milliseconds(median(bareStarts))
        say(String(format: "%-16@ bare start→exit median %7.2f ms   protocol cost (READY − bare) %7.2f ms   READY = %.2f× bare",
                     "" as NSString, bareMedian, readyMedian - bareMedian, readyMedian / bareMedian))
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
