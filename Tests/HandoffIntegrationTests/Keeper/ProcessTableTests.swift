import Foundation
import Synchronization
import Testing
@testable import HandoffSystem
@testable import HandoffTestSupport

/// The keeper tests find the main process by reading the process tree: the reading must not
/// lose a live process while others around it come and go.
@Suite("the process tree the keeper tests read", .serialized, .offCooperativePool)
struct ProcessTableTests {
    /// What a replaced server does as it winds down: the threads that spawned its children exit
    /// (each child then moves to another thread of the same process). Read per thread
    /// (`/proc/<pid>/task/<tid>/children`), the tree loses such a child now and then; read from
    /// each process's own parent, never.
    @Test("a child stays in the tree while the thread that spawned it exits", .timeLimit(.minutes(1)))
    func childOfAnExitingThread() throws {
        let me = getpid()
        let spawned = Mutex<[pid_t]>([])
        let failures = Mutex<[String]>([])
        let spawning = Atomic<Bool>(true)
        defer {
            for pid in spawned.withLock({ $0 }) {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
            }
        }
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            defer {
                spawning.store(false, ordering: .releasing)
                done.signal()
            }
            for _ in 0..<64 {
                // Each child from a thread of its own, which exits at once.
                let exited = DispatchSemaphore(value: 0)
                Thread.detachNewThread {
                    defer { exited.signal() }
                    do {
                        let child = try ChildProcess.spawn(path: "/bin/sleep", arguments: ["sleep", "60"], environment: [], controlFD: -1)
                        spawned.withLock { $0.append(child.pid) }
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
                exited.wait()
            }
        }
        var readings = 0
        var missed: [String] = []
        while spawning.load(ordering: .acquiring) || readings == 0 {
            let expected = Set(spawned.withLock { $0 })
            let children = Set(NamespacedProgram.children(of: me))
            readings += 1
            if !expected.isSubset(of: children) {
                missed.append("reading \(readings): \(expected.subtracting(children).sorted()) missing")
            }
        }
        done.wait()
        #expect(failures.withLock { $0 } == [])
        #expect(spawned.withLock { $0.count } == 64)
        #expect(missed == [], "\(readings) readings")
    }
}
