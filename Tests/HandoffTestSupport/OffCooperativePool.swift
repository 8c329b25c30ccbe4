#if DEBUG  // test support: built for the tests only (see Package.swift)
import Foundation
import Testing
@testable import HandoffSystem

/// Runs a test on threads of its own, not on the cooperative pool.
///
/// Synchronous tests hold the thread they run on: those that drive real processes wait
/// (polling a condition with a deadline), the codec's exhaustive ones compute for seconds
/// (much longer under a sanitizer). On a two-core machine the cooperative pool has two
/// threads; two such tests running at once would hold both, and every `async` test meanwhile —
/// a control channel's sender and receiver, a service runner's tasks — would starve until its
/// deadlines passed. Every suite with synchronous tests carries this trait. Under this trait a test
/// runs with a task executor preference for ``ThreadPerJobExecutor``: each of its jobs runs on
/// a new thread, and its task-locals (the test's identity included) stay with it.
struct OffCooperativePool: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        guard testCase != nil else { return try await function() }
        try await withTaskExecutorPreference(ThreadPerJobExecutor.shared) { try await function() }
    }
}

extension Trait where Self == OffCooperativePool {
    /// Runs the test off the cooperative pool: for tests that block their thread.
    static var offCooperativePool: Self { OffCooperativePool() }
}

/// A task executor that runs every job on a thread started for it.
final class ThreadPerJobExecutor: TaskExecutor {
    static let shared = ThreadPerJobExecutor()

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        let thread = Thread { job.runSynchronously(on: executor) }
        thread.stackSize = 8 << 20
        thread.start()
    }
}
#endif
