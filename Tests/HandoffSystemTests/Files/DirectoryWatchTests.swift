import Foundation
import Glibc
import Testing
@testable import HandoffSystem

/// The inotify watch under a directory store's offers: names that appear are read, and ending it
/// removes the watch at once but closes the instance only later (closing an instance with a
/// watch pending blocks in the kernel for its grace period).
@Suite("DirectoryWatch: inotify names, and an end that removes the watch before it closes", .timeLimit(.minutes(1)))
struct DirectoryWatchTests {
    @Test("a file linked or renamed into the directory is named, and ending the watch removes it at once and closes the instance later")
    func namesAndEnd() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("watch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let watch = try DirectoryWatch(directory: directory)
        for name in ["made", ".moving"] {
            let fd = open("\(directory)/\(name)", O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
            #expect(fd >= 0)
            close(fd)
        }
        #expect(rename("\(directory)/.moving", "\(directory)/moved") == 0)
        var names: [String] = []
        #expect(watch.drain(names: { names.append($0) }, overflow: { Issue.record("overflow") }))
        #expect(names == ["made", ".moving", "moved"])
        #expect(watchLines(watch.descriptor) == 1)

        watch.end(closingAfter: .milliseconds(200))
        // The watch is gone at once; the instance is still open (nothing waits on its close).
        #expect(watchLines(watch.descriptor) == 0)
        #expect(isInotify(watch.descriptor))
        let deadline = ContinuousClock.now + .seconds(10)
        while isInotify(watch.descriptor) && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(!isInotify(watch.descriptor), "closed on the reactor's timer")
    }

    /// The inotify watches listed for `fd` in /proc (`inotify wd:` lines).
    private func watchLines(_ fd: CInt) -> Int {
        let info = (try? String(contentsOfFile: "/proc/self/fdinfo/\(fd)", encoding: .utf8)) ?? ""
        return info.split(separator: "\n").filter { $0.hasPrefix("inotify wd:") }.count
    }

    /// Whether `fd` is (still) an inotify instance.
    private func isInotify(_ fd: CInt) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")) == "anon_inode:inotify"
    }
}
