#if DEBUG  // test support: built for the tests only (see Package.swift)
import Foundation
import Synchronization
import Testing
@testable import HandoffSystem

/// Runs a test on threads of its own, not on the cooperative pool.
///
/// Synchronous tests hold the thread they run on: those that drive real processes wait
/// (polling a condition with a deadline), the codec's exhaustive ones compute for seconds
/// (much longer under a sanitizer), those that move megabytes through a control channel or a
/// store fill, checksum and compare them between their awaits. On a two-core machine the
/// cooperative pool has two threads; two such tests running at once would hold both, and every
/// `async` test meanwhile — a control channel's sender and receiver, a service runner's
/// readiness checks — would starve until its deadlines passed. Every suite whose tests hold
/// their thread for more than a moment carries this trait. Under it a test runs with a task
/// executor preference for ``ThreadPerJobExecutor``: each of its jobs runs on a thread of that
/// executor, and its task-locals (the test's identity included) stay with it.
///
/// Tests that compute for seconds take `.offCooperativePool(background: true)`: their threads run
/// at a lower CPU priority (nice 10), so that on two cores they do not take the CPU from the
/// cooperative pool's threads, which every in-process `async` test shares. Measured: with the
/// codec's, the fuzzers' and the property tests' threads competing at the same priority, a
/// service runner's readiness checks waited 10 s and more for a turn; at nice 10, none did.
/// Not for tests that start processes: those inherit the priority.
struct OffCooperativePool: SuiteTrait, TestTrait, TestScoping {
    let executor: ThreadPerJobExecutor
    var isRecursive: Bool { true }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        guard testCase != nil else { return try await function() }
        try await withTaskExecutorPreference(executor) { try await function() }
    }
}

extension Trait where Self == OffCooperativePool {
    /// Runs the test off the cooperative pool: for tests that block their thread.
    static var offCooperativePool: Self { OffCooperativePool(executor: .shared) }

    /// Runs the test off the cooperative pool; `background`: at a lower CPU priority, for tests
    /// that compute for seconds and start no process.
    static func offCooperativePool(background: Bool) -> Self {
        OffCooperativePool(executor: background ? .background : .shared)
    }
}

/// A task executor that runs every job at once on a thread of its own: an idle worker if there
/// is one, else a new thread.
///
/// Enqueueing never blocks: it hands the job to an idle worker, or to the spawner thread that
/// starts a new worker for it. (Starting a thread maps its stack, which waits for the process's
/// memory-map lock: measured holding cooperative threads — which resume these tests' tasks after
/// a sleep or a continuation — for over a second while other tests faulted in megabytes.)
/// Workers stay for the next job and end after 10 s idle.
final class ThreadPerJobExecutor: TaskExecutor {
    static let shared = ThreadPerJobExecutor(niceness: 0)
    /// Workers at nice 10, below the cooperative pool.
    static let background = ThreadPerJobExecutor(niceness: 10)

    /// A thread waiting for its next job.
    private final class Worker: Sendable {
        let job = Mutex<UnownedJob?>(nil)
        let wake = DispatchSemaphore(value: 0)
    }

    private struct State {
        var idle: [Worker] = []
        var unstarted: [UnownedJob] = []
    }

    private let state = Mutex(State())
    private let spawn = DispatchSemaphore(value: 0)
    private let niceness: Int32

    private init(niceness: Int32) {
        self.niceness = niceness
        let spawner = Thread { [self] in spawnWorkers() }
        spawner.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let worker = state.withLock { state -> Worker? in
            if let worker = state.idle.popLast() { return worker }
            state.unstarted.append(job)
            return nil
        }
        if let worker {
            worker.job.withLock { $0 = job }
            worker.wake.signal()
        } else {
            spawn.signal()
        }
    }

    /// The spawner: one new worker per job no idle worker took.
    private func spawnWorkers() {
        while true {
            spawn.wait()
            guard let job = state.withLock({ $0.unstarted.isEmpty ? nil : $0.unstarted.removeFirst() }) else { continue }
            let thread = Thread { [self] in work(first: job) }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }

    /// A worker: runs `first`, then each job handed to it, until it has been idle for 10 s.
    private func work(first: UnownedJob) {
        if niceness != 0 {
            // Linux: `who` 0 is the calling thread; what the thread starts inherits it.
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
        }
        let executor = asUnownedTaskExecutor()
        let worker = Worker()
        var job: UnownedJob? = first
        while let current = job {
            current.runSynchronously(on: executor)
            job = next(for: worker)
        }
    }

    /// Waits for the next job handed to `worker`; nil once it has been idle for 10 s.
    private func next(for worker: Worker) -> UnownedJob? {
        state.withLock { $0.idle.append(worker) }
        while true {
            if worker.wake.wait(timeout: .now() + 10) == .success {
                // `enqueue` hands the job over before it signals.
                return worker.job.withLock { job in defer { job = nil }; return job }
            }
            // Idle for 10 s: leave, unless a job is being handed over meanwhile.
            let stillIdle = state.withLock { state -> Bool in
                guard let index = state.idle.firstIndex(where: { $0 === worker }) else { return false }
                state.idle.remove(at: index)
                return true
            }
            if stillIdle { return nil }
        }
    }
}
#endif
