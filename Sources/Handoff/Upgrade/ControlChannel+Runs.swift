import HandoffSystem

// Runs of frames in one job on the channel's queues. Each `send` and `receive` hops to a queue
// and back: two wake-ups of another thread, which cost tens to hundreds of microseconds on a
// loaded machine, more than the frame itself. The 40 FDS frames of 10,000 handed-over
// descriptors cross in one hop each way instead of 80.
extension ControlChannel {
    /// What ``receiveRun(until:_:)`` read.
    package struct Run<Item: Sendable>: Sendable {
        /// What `take` made of each frame it took, in order.
        package var items: [Item]
        /// The first frame not taken (`nil` at a clean end of stream), or the error that
        /// ended the run. Items taken before an error are in ``items``, for the caller to
        /// keep or close.
        package var end: Result<Received?, any Error>
    }

    /// Reads frames in one job on the read queue for as long as `take` takes them (returns
    /// an item), then hands back the items and the frame that ended the run.
    ///
    /// `take` runs on the read queue: it must not block on anything but the frame it gets.
    package func receiveRun<Item: Sendable>(
        until deadline: ContinuousClock.Instant?,
        _ take: @escaping @Sendable (Received) throws -> Item?
    ) async -> Run<Item> {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                readQueue.async {
                    var items: [Item] = []
                    let end = Result<Received?, any Error> {
                        while true {
                            guard let received = try self.readFrame(until: deadline) else { return nil }
                            guard let item = try take(received) else { return received }
                            items.append(item)
                        }
                    }
                    continuation.resume(returning: Run(items: items, end: end))
                }
            }
        } onCancel: {
            interrupt()
        }
    }

    /// Sends `frames` in order in one job on the write queue, each with its descriptors
    /// attached to its first byte; stops at the first that fails.
    package func send(_ frames: [(frame: Frame, descriptors: [CInt])], until deadline: ContinuousClock.Instant?) async throws {
        guard !frames.isEmpty else { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                writeQueue.async {
                    continuation.resume(with: Result {
                        for (frame, descriptors) in frames {
                            try self.write(frame.encoded()[...], descriptors: descriptors, until: deadline)
                        }
                    })
                }
            }
        } onCancel: {
            interrupt()
        }
    }
}
