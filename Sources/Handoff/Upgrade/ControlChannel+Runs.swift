import HandoffSystem

// Runs of frames in one go. The 40 FDS frames of 10,000 handed-over descriptors cross with at
// most one hop to a queue and back each way instead of 80.
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

    /// Reads frames for as long as `take` takes them (returns an item), then hands back the items
    /// and the frame that ended the run: on the calling thread while they have arrived, the rest
    /// in one job on the read queue.
    ///
    /// `take` must not block on anything but the frame it gets.
    package func receiveRun<Item: Sendable>(
        until deadline: ContinuousClock.Instant?,
        _ take: @escaping @Sendable (Received) throws -> Item?
    ) async -> Run<Item> {
        var items: [Item] = []
        // What ended the run inline, if it ended; `nil` after reserving the read queue.
        let ended: Result<Received?, any Error>?
        do {
            ended = try readNow { () throws -> Result<Received?, any Error>? in
                while true {
                    guard let next = try readFrameNow() else { return nil }
                    guard let received = next, let item = try take(received) else { return .success(next ?? nil) }
                    items.append(item)
                }
            }
        } catch {
            ended = .failure(error)
        }
        if let ended { return Run(items: items, end: ended) }
        let taken = items
        return await withTaskCancellationHandler {
            await onReadQueue(reserved: true) {
                var items = taken
                let end = Result<Received?, any Error> {
                    while true {
                        guard let received = try self.readFrame(until: deadline) else { return nil }
                        guard let item = try take(received) else { return received }
                        items.append(item)
                    }
                }
                return Run(items: items, end: end)
            }
        } onCancel: {
            interrupt()
        }
    }

    /// Sends `frames` in order, each with its descriptors attached to its first byte; stops at
    /// the first that fails. As far as the socket takes them on the calling thread, the rest in
    /// one job on the write queue.
    package func send(_ frames: [(frame: Frame, descriptors: [CInt])], until deadline: ContinuousClock.Instant?) async throws {
        guard !frames.isEmpty else { return }
        try await send(frames.map { Piece(bytes: $0.frame.encoded()[...], descriptors: $0.descriptors) }, until: deadline)
    }
}
