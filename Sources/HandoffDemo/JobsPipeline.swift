import Handoff
import HandoffSystem
import HandoffServices
import HandoffOperations

/// The demo's pipeline under a supervisor: web request → transform → persist.
///
/// `POST /jobs` puts a job in ``DemoJobs/incoming``. Four transform workers (a
/// ``WorkerGroup``) pass each to ``DemoJobs/transformed``; the first delivery of every 50th job
/// throws, to show a worker restarted and its job delivered again. The persist worker appends
/// the ids of the jobs pending (up to 256 at a time) to the jobs log with one write, then
/// acknowledges them. The supervisor is rest-for-one: if persist fails, the transform workers
/// restart with it. The failures are expected, so restarts wait no backoff; the intensity (a
/// thousand restarts within a second) still stops a crash loop.
///
/// It runs after the upgrader, so an upgrade's drain stops it — every worker finishes the job
/// it holds — before the mailboxes are handed over: each accepted job is persisted exactly once,
/// by whichever generation gets to it.
enum JobsPipeline {
    struct TransformFailed: Error, CustomStringConvertible {
        let id: Int
        var description: String { "transforming job \(id) failed (as every 50th does, once)" }
    }

    static func make(jobs: DemoJobs, log: JobsLog) throws -> Supervisor {
        var configuration = SupervisorConfiguration(strategy: .restForOne)
        configuration.intensity = RestartIntensity(maxRestarts: 1_000, within: .seconds(1))
        configuration.backoff = .none
        var workers = configuration
        workers.strategy = .oneForOne
        let transform = try WorkerGroup(name: "transform", count: 4, configuration: workers) { _ in
            try await jobs.incoming.process { delivery in
                if delivery.message.id % 50 == 49 && delivery.attempt == 1 {
                    throw TransformFailed(id: delivery.message.id)
                }
                try await jobs.transformed.send(delivery.message)
            }
        }
        return try Supervisor(name: "jobs", configuration: configuration, children: [
            ChildSpec("persist") {
                try await jobs.transformed.consume { consumer in
                    while case let batch = try await consumer.next(upTo: 256), !batch.isEmpty {
                        try await log.append(batch.map(\.message.id))
                        for delivery in batch { consumer.acknowledge(delivery) }
                        jobs.markDone(batch.count)
                    }
                }
            },
            .supervisor(transform.supervisor),
        ])
    }
}
