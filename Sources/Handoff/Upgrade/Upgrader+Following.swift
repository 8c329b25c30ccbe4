import HandoffSystem

extension Upgrader {
    /// Follows the store's offers for `members` (a rolling deploy) while this process may merge
    /// them: an upgrade under way stops following, a failed one resumes it (offers made in
    /// between are still waiting, and following takes those first), a committed one ends it.
    ///
    /// Stopping when the upgrade starts, not when it ends, also keeps the exit quick: a
    /// ``DirectoryStore`` watches its directory with inotify, and the kernel retires a watch only
    /// after a grace period (10–40 ms measured here) that a process closing the last watch, or
    /// exiting with it, waits out in the kernel. Removed when the upgrade starts, the watch is
    /// retired while the successor starts, and the replaced process exits at once.
    func follow(_ members: [HandoffRegistry.Member]) async {
        var events = broadcast.subscribe().makeAsyncIterator()
        while true {
            let following = Task {
                await self.state.follow(members, store: self.store()) { [broadcast = self.broadcast] in broadcast.emit($0) }
            }
            var started = false
            while let event = await events.next() {
                if case .started = event { started = true; break }
            }
            following.cancel()
            await following.value
            guard started else { return }  // cancelled, or no more events
            var failed = false
            waiting: while let event = await events.next() {
                switch event {
                case .failed: failed = true; break waiting
                case .replaced: return
                default: continue
                }
            }
            guard failed else { return }
        }
    }
}
