import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport

/// Crash-durable checkpoints in a store: owned by the live process, claimable exactly once when
/// it is gone.
@Suite("Checkpoints in a store", .timeLimit(.minutes(1)), .offCooperativePool)
struct CheckpointStoreTests {
    @Test("directory: this process's checkpoint is not claimable; one whose owner is gone is claimed exactly once; removal removes")
    func directory() async throws {
        let directory = try TemporaryStoreDirectory()
        let store = try DirectoryStore(directory: directory.path)
        try await store.checkpoint(storeEnvelope(text: "mine"))
        #expect(try await store.claimCheckpoint(label: "sessions", key: "eu-1", readerVersion: 1) == nil)
        // A checkpoint whose owner is gone: this pid with another start time.
        let dead = ClaimOwner(pid: getpid(), startTime: ClaimOwner.current.startTime &+ 1, boot: ClaimOwner.current.boot)
        #expect(rename(store.path(DirectoryStoreLayout.checkpointName(label: "sessions", key: "eu-1", owner: .current)),
                       store.path(DirectoryStoreLayout.checkpointName(label: "sessions", key: "eu-1", owner: dead))) == 0)
        let claim = try #require(try await store.claimCheckpoint(label: "sessions", key: "eu-1", readerVersion: 1))
        #expect(claim.envelope.payload == Array("mine".utf8))
        #expect(try await store.claimCheckpoint(label: "sessions", key: "eu-1", readerVersion: 1) == nil)
        try await store.commit(claim)
        try await store.checkpoint(storeEnvelope(text: "again"))
        try await store.removeCheckpoint(label: "sessions", key: "eu-1")
        #expect(directory.names().isEmpty)
    }
}
