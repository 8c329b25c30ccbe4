import CHandoff
import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffOperations
@testable import HandoffEtcd
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport
@testable import HandoffEtcdTestSupport

/// Socket activation and the file descriptor store: the demo under `systemd-socket-activate`,
/// and the adoption of what systemd passes back after a crash.
@Suite("socket activation and the fd store", .serialized, .offCooperativePool)
struct SocketActivationTests {
    /// `systemd-socket-activate`, installed from the `systemd` package if missing.
    static func socketActivate() throws -> String {
        let path = "/usr/bin/systemd-socket-activate"
        if !FileManager.default.isExecutableFile(atPath: path) {
            for arguments in [["update"], ["install", "-y", "--no-install-recommends", "systemd"]] {
                let apt = Process()
                apt.executableURL = URL(fileURLWithPath: "/usr/bin/apt-get")
                apt.arguments = arguments
                apt.environment = ["DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"]
                try apt.run()
                apt.waitUntilExit()
            }
        }
        try #require(FileManager.default.isExecutableFile(atPath: path), "systemd-socket-activate is missing and could not be installed")
        return path
    }

    /// Connects, retrying while nobody listens yet (the activator is still binding).
    static func connect(port: UInt16) throws -> HTTPClient {
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            do { return try HTTPClient(port: port) } catch where ContinuousClock.now < deadline {
                usleep(5_000)  // polling with a deadline
            }
        }
    }

    /// Kills the `systemd-socket-activate` whose command line names `directory`, if it still
    /// waits for a connection.
    static func stopActivator(using directory: String) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return }
        for entry in entries {
            guard let pid = Int32(entry), let command = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            let words = command.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if words.first?.hasSuffix("systemd-socket-activate") == true && words.contains(where: { $0.contains(directory) }) {
                kill(pid, SIGKILL)
            }
        }
    }

    static func inode(_ fd: Int32) -> UInt64 {
        var info = stat()
        return fstat(fd, &info) == 0 ? UInt64(info.st_ino) : 0
    }

    @Test("systemd-socket-activate starts the demo with LISTEN_FDS; the socket is stored, reported, and kept across an upgrade",
          .timeLimit(.minutes(1)))
    func activatedDemo() throws {
        let activator = try Self.socketActivate()
        let port = try Client.freePort()
        let notify = try NotifySocket()
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-activate-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        let socket = base.appendingPathComponent("run/control.sock").path
        // An activator that never got its first connection (the test failed before) is not a
        // pid the fixture knows: find it by its unique work directory and stop it.
        defer { Self.stopActivator(using: base.path) }
        // The activator passes on only the variables it is told to (-E). It runs under a shell
        // that waits for it: it closes every descriptor it does not pass, Foundation's watch on
        // its child among them, and Foundation would then block in waitpid for it.
        let demo = try FixtureProcess(
            program: "handoff-demo", executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: ["-c", "\"$@\"; exit $?", "sh", activator, "-l", "127.0.0.1:\(port)", "--fdname=http", "-E", "XDG_RUNTIME_DIR", "-E", "NOTIFY_SOCKET=\(notify.path)",
                        FixtureProcess.binary("handoff-demo").path, "--listen", "fd:http", "--fd-store",
                        "--control", socket, "--state-dir", base.appendingPathComponent("store").path])

        // The first connection wakes the activator, which execs the demo on the same pid.
        let client = try Self.connect(port: port)
        let first = try demo.waitFor("listening=127.0.0.1:\(port)", generation: 1).pid
        #expect(try client.get("/count").body == "1")

        // READY=1, then the listeners into the fd store, then the first state checkpoint.
        let ready = try notify.waitFor { $0.lines.first == "READY=1" }
        #expect(ready.match.pid == first)
        let stored = try notify.waitFor { $0.value("FDNAME") == "http" }
        #expect(stored.match.lines.first == "FDSTORE=1" && stored.match.descriptors.count == 1)
        let activatedInode = Self.inode(stored.match.descriptors[0])
        #expect(try SocketEndpoint.local(of: stored.match.descriptors[0]).address?.port == port)
        let checkpoint = try notify.waitFor { $0.lines.first == "FDSTORE=1" && $0.value("FDNAME")?.hasPrefix("handoff-state-") == true }
        #expect(checkpoint.match.descriptors.count == 1)
        let state = StateCheckpoint.newest(
            of: [StateCheckpoint(name: checkpoint.match.value("FDNAME")!, fd: checkpoint.match.descriptors[0])], maxPayloadLength: 1 << 20)
        #expect(state.refused.isEmpty)
        #expect(state.envelopes?.contains { $0.header.label == "handoff-demo.state" } == true)

        let status = try Ctl.run(["status", "--socket", socket])
        #expect(status.output.contains("http") && status.output.contains("127.0.0.1:\(port)"), "\(status)")

        // An upgrade: the same socket, served by the new process; systemd hears MAINPID first.
        let upgraded = try Ctl.run(["upgrade", "--socket", socket])
        #expect(upgraded.status == 0, "\(upgraded)")
        let second = try demo.waitFor("event=predecessor-exited", generation: 2).pid
        let mainPID = try notify.waitFor { $0.value("MAINPID") != nil }
        #expect(mainPID.match.pid == first && mainPID.match.lines == ["MAINPID=\(second)"])
        let secondReady = try notify.waitFor { $0.lines.first == "READY=1" }
        #expect(secondReady.match.pid == second)
        let restored = try notify.waitFor { $0.value("FDNAME") == "http" }
        #expect(restored.match.pid == second)
        #expect(Self.inode(restored.match.descriptors[0]) == activatedInode, "the successor holds the very socket systemd made")
        #expect(try client.get("/count").body == "2")
        #expect(try Self.connect(port: port).get("/").body == "pid=\(second) generation=2")
        // The checkpoint's descriptor was closed by newest(of:); close the rest received.
        let received = ready.skipped + stored.skipped + [stored.match] + checkpoint.skipped + mainPID.skipped
            + secondReady.skipped + restored.skipped + [restored.match]
        for message in received { message.descriptors.forEach { close($0) } }
        #expect(kill(second, SIGTERM) == 0)
        try demo.waitUntilGone(second)
    }

    @Test("after a crash, the sockets and the state checkpoint systemd passes back are adopted: the newest whole checkpoint wins")
    func adoptAfterCrash() async throws {
        // What systemd would pass: a listener, an older checkpoint, a newer one, a damaged one.
        let listener = try Sockets.listener(try SocketEndpoint(parsing: "127.0.0.1:0"), backlog: 8)
        let old = try SampleEnvelopes.envelope(Shapes.V1(count: 1), version: 1)
        let new = try SampleEnvelopes.envelope(Shapes.V1(count: 2), version: 1)
        let older = try StateCheckpoint.memfd(holding: StateCheckpoint.encode([old], sequence: 10), name: "a")
        let newer = try StateCheckpoint.memfd(holding: StateCheckpoint.encode([new], sequence: 20), name: "b")
        var damagedBytes = StateCheckpoint.encode([new], sequence: 30)
        damagedBytes[damagedBytes.count / 2] ^= 0xFF
        let damaged = try StateCheckpoint.memfd(holding: damagedBytes, name: "c")
        #expect(write(damaged, "x", 1) == -1, "a checkpoint is sealed against writes")

        let names = SocketActivation.unique(["listener%3A127.0.0.1%3A0", "handoff-state-0", "handoff-state-1", "handoff-state-0"].map(FileDescriptorName.decode))
        #expect(names[1] == "handoff-state-0#0", "a repeated name is numbered")
        // The socket unit's listener also came back from the fd store: one copy is kept.
        let (kept, keptNames) = try SocketActivation.distinct([listener, dup(listener), older, newer, damaged],
            names: ["listener:127.0.0.1:0", "listener:127.0.0.1:0", "handoff-state-0", "handoff-state-1", "handoff-state-0"])
        #expect(kept.count == 4)
        let adopted = try SocketActivation.adopt(kept, names: keptNames)
        #expect(adopted.entries.map(\.record.name) == ["listener:127.0.0.1:0"])
        #expect(adopted.entries.first?.record.kind == .listener)
        #expect(adopted.checkpoints.count == 3)

        let (envelopes, refused) = StateCheckpoint.newest(of: adopted.checkpoints, maxPayloadLength: 1 << 20)
        #expect(envelopes == [new])
        #expect(refused.count == 1 && refused.first?.code == .checksumMismatch)

        // Restored through the store: the checkpoint first, claimed once; the fallback after.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("handoff-checkpoint-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = CheckpointStore(envelopes: envelopes ?? [], fallback: try DirectoryStore(directory: directory.path))
        let claim = try #require(try await store.claim(label: "tally", key: "", readerVersion: 3))
        #expect(claim.envelope == new)
        try await store.commit(claim)
        #expect(try await store.claim(label: "tally", key: "", readerVersion: 3) == nil)
        await #expect(throws: HandoffError.self) {
            _ = try await CheckpointStore(envelopes: [new], fallback: store).claim(label: "tally", key: "", readerVersion: 0)
        }
        Syscall.close(listener)
    }
}
