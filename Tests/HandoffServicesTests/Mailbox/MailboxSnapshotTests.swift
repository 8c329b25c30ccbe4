import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffTestSupport
@testable import HandoffServicesTestSupport

/// A checkpoint copies a mailbox's messages and disturbs nothing; giving the state up seals it.
@Suite("Mailbox snapshot", .timeLimit(.minutes(1)))
struct MailboxSnapshotTests {
    @Test("a snapshot holds every pending and in-flight message, and the mailbox goes on accepting and delivering")
    func snapshotDoesNotSeal() async throws {
        let mailbox = try Mailbox<Int>(capacity: 10)
        for value in 0..<3 { try mailbox.trySend(value) }
        let snapshot = try await mailbox.consume { consumer in
            let held = try #require(try await consumer.next())
            #expect(held.message == 0)
            let snapshot = try await mailbox.handoffSnapshot()
            // Still open: a send is accepted and the next message is delivered.
            try mailbox.trySend(3)
            let next = try #require(try await consumer.next())
            #expect(next.message == 1)
            #expect(consumer.acknowledge(held))
            #expect(consumer.acknowledge(next))
            return snapshot
        }
        #expect(snapshot.messages == [0, 1, 2])
        #expect(snapshot.attempts == [1, 0, 0])
        #expect(mailbox.counts.pending == 2)
    }

    @Test("giving the state up still seals: a send is refused with mailboxHandedOver until abandoned")
    func giveUpSeals() async throws {
        let mailbox = try Mailbox<Int>(capacity: 10)
        try mailbox.trySend(1)
        let state = try await mailbox.handoffState()
        #expect(state.messages == [1])
        #expect(throws: HandoffError.self) { try mailbox.trySend(2) }
        await mailbox.handoffAbandoned()
        try mailbox.trySend(2)
        #expect(mailbox.counts.pending == 2)
    }
}
