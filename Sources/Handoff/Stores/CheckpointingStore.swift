import HandoffSystem
/// A ``HandoffStore`` that also keeps crash-durable checkpoints: periodic snapshots of a live
/// process's state, owned by that process and claimable only once it is gone — so a holder
/// killed with SIGKILL, or by the OOM killer, loses only what changed since its last checkpoint.
///
/// ``checkpoint(_:)`` replaces this process's checkpoint of the envelope's label and key; no
/// other process can claim it while this one lives. Once the process is gone (a
/// ``DirectoryStore`` sees its pid and start time gone; an `EtcdStore` sees its owner key
/// deleted with its lease, after at most the lease's TTL), ``claimCheckpoint(label:key:readerVersion:)``
/// takes it exactly once; it is committed or released like any claim. A released checkpoint
/// becomes an ordinary offer.
///
/// A process that stops or is replaced cleanly hands its state on and then removes its
/// checkpoints with ``removeCheckpoint(label:key:)``, so they are not claimed as well.
public protocol CheckpointingStore: HandoffStore {
    /// Writes (or replaces) this process's checkpoint of the envelope's label and key.
    /// - Parameter envelope: The state, as a snapshot.
    /// - Throws: ``HandoffError`` with ``HandoffError/Code/storeFailed`` or
    ///   ``HandoffError/Code/storeUnreachable``; the previous checkpoint is then kept.
    func checkpoint(_ envelope: Envelope) async throws

    /// Removes this process's checkpoint of `label` and `key`, if there is one.
    /// - Throws: ``HandoffError`` if the store cannot be changed.
    func removeCheckpoint(label: String, key: String) async throws

    /// Claims the checkpoint of `label` and `key` left by a process that is gone, if there is
    /// one; the oldest first.
    /// - Returns: The claim (commit it after applying, or release it); `nil` if no dead
    ///   process's checkpoint waits.
    /// - Throws: ``HandoffError/Code/newerVersion`` or an envelope error, leaving it in place.
    func claimCheckpoint(label: String, key: String, readerVersion: Int) async throws -> HandoffClaim?
}
