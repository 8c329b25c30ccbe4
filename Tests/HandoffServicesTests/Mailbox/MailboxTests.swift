import Synchronization
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffTestSupport
@testable import HandoffServicesTestSupport

@Suite("Mailbox: acknowledgement, redelivery, backpressure, closing", .timeLimit(.minutes(1)))
struct MailboxTests {
    @Test("messages are delivered in the order sent, and an acknowledged one is gone")
    func order() async throws {
        let mailbox = try Mailbox<Int>(capacity: 10)
        for value in 0..<5 { try await mailbox.send(value) }
        let received = try await mailbox.consume { consumer in
            var values: [Int] = []
            for _ in 0..<5 {
                let delivery = try #require(try await consumer.next())
                values.append(delivery.message)
                #expect(delivery.attempt == 1)
                #expect(consumer.acknowledge(delivery))
                #expect(!consumer.acknowledge(delivery), "a second acknowledgement is refused")
            }
            return values
        }
        #expect(received == [0, 1, 2, 3, 4])
        #expect(mailbox.counts == MailboxCounts(pending: 0, inFlight: 0, delivered: 5, acknowledged: 5, returned: 0))
    }

    @Test("a consumer that fails gives its unacknowledged messages back, delivered before newer ones")
    func redelivery() async throws {
        let mailbox = try Mailbox<Int>(capacity: 10)
        for value in 0..<6 { try mailbox.trySend(value) }
        struct Crash: Error {}
        await #expect(throws: Crash.self) {
            try await mailbox.consume { consumer in
                let first = try #require(try await consumer.next())
                let second = try #require(try await consumer.next())
                let third = try #require(try await consumer.next())
                consumer.acknowledge(second)
                _ = (first, third)
                throw Crash()
            }
        }
        #expect(mailbox.counts.pending == 5)
        #expect(mailbox.counts.returned == 2)
        let again = try await mailbox.consume { consumer in
            var seen: [(Int, Int)] = []
            while seen.count < 5, let delivery = try await consumer.next() {
                seen.append((delivery.message, delivery.attempt))
                consumer.acknowledge(delivery)
            }
            return seen
        }
        #expect(again.map(\.0) == [0, 2, 3, 4, 5])
        #expect(again.map(\.1) == [2, 2, 1, 1, 1])
    }

    @Test("another consumer's failure puts its message ahead of the ones not yet delivered")
    func twoConsumers() async throws {
        let mailbox = try Mailbox<Int>(capacity: 10)
        for value in 0..<4 { try mailbox.trySend(value) }
        let survivor = MailboxConsumer(mailbox: mailbox, id: mailbox.state.withLock { $0.makeConsumer() }, stop: nil)
        let failing = MailboxConsumer(mailbox: mailbox, id: mailbox.state.withLock { $0.makeConsumer() }, stop: nil)
        let zero = try #require(try await survivor.next())
        let one = try #require(try await failing.next())
        #expect((zero.message, one.message) == (0, 1))
        #expect(!survivor.acknowledge(one), "a consumer cannot acknowledge another's delivery")
        mailbox.release(failing.id)
        #expect(!failing.acknowledge(one), "a failed consumer's late acknowledgement is refused")
        let next = try #require(try await survivor.next())
        #expect(next.message == 1 && next.attempt == 2)
        #expect(survivor.acknowledge(next))
        #expect(survivor.acknowledge(zero))
        mailbox.release(survivor.id)
    }

    @Test("send waits while the mailbox is full and goes in once an acknowledgement makes room; trySend fails fast")
    func backpressure() async throws {
        let mailbox = try Mailbox<Int>(capacity: 2)
        try mailbox.trySend(0)
        try mailbox.trySend(1)
        #expect(throws: HandoffError.self) { try mailbox.trySend(2) }
        do { try mailbox.trySend(2) } catch { #expect(error.code == .mailboxFull) }
        let blocked = Task { try await mailbox.send(2) }
        await eventually { mailbox.state.withLock { !$0.senders.isEmpty } }
        try await mailbox.consume { consumer in
            let zero = try #require(try await consumer.next())
            // Delivered but not acknowledged still counts against the capacity.
            #expect(mailbox.counts.held == 2)
            consumer.acknowledge(zero)
            try await blocked.value
            #expect(mailbox.counts.pending == 2)
            for expected in [1, 2] {
                let delivery = try #require(try await consumer.next())
                #expect(delivery.message == expected)
                consumer.acknowledge(delivery)
            }
        }
    }

    @Test("a sender waiting for room is cancelled without adding its message")
    func cancelledSender() async throws {
        let mailbox = try Mailbox<Int>(capacity: 1)
        try mailbox.trySend(0)
        let sender = Task { try await mailbox.send(1) }
        await eventually { mailbox.state.withLock { !$0.senders.isEmpty } }
        sender.cancel()
        await #expect(throws: CancellationError.self) { try await sender.value }
        #expect(mailbox.counts.pending == 1)
    }

    @Test("a receiver cancelled while waiting throws CancellationError and takes nothing; a message racing the cancellation is given back")
    func cancelledReceiver() async throws {
        let mailbox = try Mailbox<Int>(capacity: 1_000)
        let waiting = Task { try await mailbox.consume { try await $0.next() } }
        await eventually { mailbox.state.withLock { !$0.receivers.isEmpty } }
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        try mailbox.trySend(1)
        #expect(mailbox.counts.pending == 1)

        // Races of a send against a cancellation: whichever wins, the message is either still
        // pending or was received and, unacknowledged, given back when the scope ended.
        for round in 0..<200 {
            let racing = Task { try await mailbox.consume { consumer in _ = try await consumer.next() } }
            let message = 100 + round
            async let sent: Void = mailbox.send(message)
            racing.cancel()
            try await sent
            _ = try? await racing.value
        }
        #expect(mailbox.counts.inFlight == 0)
        mailbox.close(.drain)
        var left: [Int] = []
        try await mailbox.process { left.append($0.message) }
        #expect(left == [1] + Array(100..<300))
    }

    @Test("close(.drain) refuses new messages and lets consumers take the rest; close(.discard) drops them")
    func closing() async throws {
        let drained = try Mailbox<Int>(capacity: 10)
        for value in 0..<3 { try drained.trySend(value) }
        drained.close(.drain)
        await #expect(throws: HandoffError.self) { try await drained.send(9) }
        var rest: [Int] = []
        try await drained.process { rest.append($0.message) }
        #expect(rest == [0, 1, 2])

        let discarded = try Mailbox<Int>(capacity: 10)
        for value in 0..<3 { try discarded.trySend(value) }
        let held = MailboxConsumer(mailbox: discarded, id: discarded.state.withLock { $0.makeConsumer() }, stop: nil)
        _ = try await held.next()
        #expect(discarded.close(.discard) == [1, 2])
        discarded.release(held.id)
        #expect(discarded.counts.held == 0, "a message given back after a discard is dropped")
        let none = try await discarded.consume { try await $0.next() }
        #expect(none == nil)
    }

    @Test("a consumer waiting on an empty mailbox ends when it is closed, or when its graceful stop is requested")
    func endsWaiting() async throws {
        let mailbox = try Mailbox<Int>(capacity: 4)
        async let waiting = mailbox.consume { try await $0.next() }
        await eventually { mailbox.state.withLock { !$0.receivers.isEmpty } }
        mailbox.close(.drain)
        #expect(try await waiting == nil)

        let open = try Mailbox<Int>(capacity: 4)
        let signal = StopSignal()
        async let stopped = StopSignal.$current.withValue(signal) { try await open.consume { try await $0.next() } }
        await eventually { open.state.withLock { !$0.receivers.isEmpty } }
        signal.trigger()
        #expect(try await stopped == nil)
        try open.trySend(1)
        #expect(open.counts.pending == 1, "the stop took nothing")
    }

    @Test("next(upTo:) waits for one message, then takes those pending up to the limit")
    func batches() async throws {
        let mailbox = try Mailbox<Int>(capacity: 10)
        for value in 0..<5 { try mailbox.trySend(value) }
        try await mailbox.consume { consumer in
            let first = try await consumer.next(upTo: 3)
            #expect(first.map(\.message) == [0, 1, 2])
            let rest = try await consumer.next(upTo: 10)
            #expect(rest.map(\.message) == [3, 4])
            for delivery in first + rest { consumer.acknowledge(delivery) }
            mailbox.close(.drain)
            #expect(try await consumer.next(upTo: 4).isEmpty)
        }
    }

    @Test("a mailbox rejects a capacity below 1")
    func badCapacity() {
        #expect(throws: HandoffError.self) { try Mailbox<Int>(capacity: 0) }
    }

    @Test("handing over seals the mailbox; an abandoned handover opens it again; the successor delivers the messages first, in order")
    func handover() async throws {
        let mailbox = try Mailbox<String>(name: "jobs", capacity: 10)
        for value in ["a", "b", "c", "d"] { try mailbox.trySend(value) }
        let holder = MailboxConsumer(mailbox: mailbox, id: mailbox.state.withLock { $0.makeConsumer() }, stop: nil)
        let a = try #require(try await holder.next())
        let b = try #require(try await holder.next())
        holder.acknowledge(a)
        let state = try await mailbox.handoffState()
        #expect(state.messages == ["b", "c", "d"])
        #expect(state.attempts == [1, 0, 0])
        do { try mailbox.trySend("e") } catch { #expect(error.code == .mailboxHandedOver) }
        #expect(mailbox.state.withLock { $0.receive(consumer: holder.id) } .isMustWait)

        await mailbox.handoffAbandoned()
        try mailbox.trySend("e")
        holder.acknowledge(b)
        mailbox.release(holder.id)

        let successor = try Mailbox<String>(name: "jobs", capacity: 2)
        try successor.trySend("new")
        try await successor.resume(from: state)
        #expect(successor.counts.pending == 4, "restored messages may exceed the capacity")
        successor.close(.drain)
        var order: [String] = []
        var attempts: [Int] = []
        try await successor.process { delivery in
            order.append(delivery.message)
            attempts.append(delivery.attempt)
        }
        #expect(order == ["b", "c", "d", "new"])
        #expect(attempts == [2, 1, 1, 1])
    }
}

extension MailboxQueue.ReceiveDecision {
    var isMustWait: Bool { if case .mustWait = self { true } else { false } }
}
