import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffTestSupport
@testable import HandoffServicesTestSupport

/// Seeded random interleavings of send, receive, acknowledge, consumer failure, close and
/// handover against a model of what the mailbox must do. Every step runs without waiting — a
/// receive is only asked for when the model says it can be answered at once — so a seed always
/// replays the same run.
@Suite("Mailbox invariants under random interleavings", .offCooperativePool(background: true))
struct MailboxPropertyTests {
    /// SplitMix64: small, fast, and the same everywhere.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// What the mailbox must hold. Messages are distinct increasing integers, so a message's
    /// value orders it as its sequence does.
    struct Model {
        let capacity: Int
        var pending: [Int] = []            // sorted: delivered lowest first
        var held: [Int: [Int: Int]] = [:]  // consumer -> message -> attempts
        var attempts: [Int: Int] = [:]     // deliveries so far, per message still held
        var closed: MailboxCloseMode?
        var acknowledged: Set<Int> = []

        var inFlight: Int { held.values.reduce(0) { $0 + $1.count } }
        var total: Int { pending.count + inFlight }

        func ended(for consumer: Int) -> Bool {
            switch closed {
            case nil: false
            case .discard: true
            case .drain: pending.isEmpty && held.allSatisfy { $0.key == consumer || $0.value.isEmpty }
            }
        }

        mutating func giveBack(_ consumer: Int) {
            let messages = held.removeValue(forKey: consumer) ?? [:]
            guard closed != .discard else {
                for message in messages.keys { attempts[message] = nil }
                return
            }
            pending = (pending + messages.keys).sorted()
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    @Test("send, receive, acknowledge, fail, close and hand over keep the mailbox's invariants", arguments: 0..<400)
    func interleavings(seed: Int) async throws {
        do {
            try await run(seed: UInt64(seed))
        } catch {
            Issue.record("seed \(seed): \(error)")
        }
    }

    func run(seed: UInt64) async throws {
        var random = SeededGenerator(state: seed)
        let capacity = Int.random(in: 1...8, using: &random)
        let mailbox = try Mailbox<Int>(name: "property", capacity: capacity)
        var model = Model(capacity: capacity)
        var consumers: [MailboxConsumer<Int>] = (0..<Int.random(in: 1...3, using: &random)).map { _ in makeConsumer(mailbox) }
        var deliveries: [Delivery<Int>] = []  // every delivery seen, stale ones included
        var nextMessage = 0
        var log: [String] = []
        func check(_ condition: Bool, _ what: @autoclosure () -> String) throws {
            if !condition { throw Failure(description: "\(what()) after:\n  " + log.suffix(12).joined(separator: "\n  ")) }
        }

        for _ in 0..<Int.random(in: 20...200, using: &random) {
            let slot = Int.random(in: 0..<consumers.count, using: &random)
            let consumer = consumers[slot]
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<35:  // send
                let message = nextMessage
                nextMessage += 1
                log.append("send \(message)")
                let outcome: Result<Void, HandoffError> = Result { () throws(HandoffError) in try mailbox.trySend(message) }
                switch outcome {
                case .success:
                    try check(model.closed == nil && model.total < capacity, "send \(message) accepted with \(model.total)/\(capacity) held, closed \(String(describing: model.closed))")
                    model.pending.append(message)
                    model.attempts[message] = 0
                case .failure(let error):
                    let expected: HandoffError.Code = model.closed != nil ? .mailboxClosed : .mailboxFull
                    try check(error.code == expected, "send \(message) refused with \(error.code), expected \(expected)")
                }
            case 35..<65:  // receive, only when it can be answered at once
                guard !model.pending.isEmpty || model.ended(for: consumer.id) else { continue }
                log.append("receive by \(consumer.id)")
                let delivery = try await consumer.next()
                if let expected = model.pending.first {
                    let attempt = model.attempts[expected, default: 0] + 1
                    try check(delivery?.message == expected && delivery?.attempt == attempt,
                              "consumer \(consumer.id) received \(String(describing: delivery.map { ($0.message, $0.attempt) })), expected (\(expected), \(attempt))")
                    model.pending.removeFirst()
                    model.attempts[expected] = attempt
                    model.held[consumer.id, default: [:]][expected] = attempt
                    deliveries.append(delivery!)
                } else {
                    try check(delivery == nil, "consumer \(consumer.id) received \(delivery!.message) from a mailbox that has ended for it")
                }
            case 65..<85:  // acknowledge one of the deliveries seen, possibly stale or another's
                guard let delivery = deliveries.randomElement(using: &random) else { continue }
                log.append("ack \(delivery.message) by \(consumer.id) (delivered to \(delivery.consumer))")
                let acknowledged = consumer.acknowledge(delivery)
                let holds = delivery.consumer == consumer.id && model.held[consumer.id]?[delivery.message] == delivery.attempt
                try check(acknowledged == holds, "acknowledge returned \(acknowledged), expected \(holds)")
                if holds {
                    try check(model.acknowledged.insert(delivery.message).inserted, "\(delivery.message) acknowledged twice")
                    model.held[consumer.id]?[delivery.message] = nil
                    model.attempts[delivery.message] = nil
                }
            case 85..<93:  // the consumer fails: its scope ends; a new consumer replaces it
                log.append("consumer \(consumer.id) fails")
                mailbox.release(consumer.id)
                model.giveBack(consumer.id)
                consumers[slot] = makeConsumer(mailbox)
            case 93..<96:  // close
                let mode: MailboxCloseMode = Bool.random(using: &random) ? .drain : .discard
                log.append("close \(mode)")
                let dropped = mailbox.close(mode)
                if model.closed == .discard {
                    try check(dropped.isEmpty, "a second close dropped \(dropped)")
                } else if mode == .discard {
                    try check(dropped == model.pending, "close(.discard) dropped \(dropped), expected \(model.pending)")
                    for message in model.pending { model.attempts[message] = nil }
                    model.pending = []
                    model.closed = .discard
                } else {
                    try check(dropped.isEmpty, "close(.drain) dropped \(dropped)")
                    model.closed = .drain
                }
            default:  // hand over and abandon: the state is everything held, in order
                log.append("hand over, abandon")
                let state = try await mailbox.handoffState()
                let expected = (model.pending + model.held.values.flatMap(\.keys)).sorted()
                try check(state.messages == expected, "handed over \(state.messages), expected \(expected)")
                try check(state.attempts == expected.map { model.attempts[$0, default: 0] }, "handed over attempts \(state.attempts)")
                await mailbox.handoffAbandoned()
            }
            let counts = mailbox.counts
            try check(counts.pending == model.pending.count && counts.inFlight == model.inFlight,
                      "counts \(counts), model pending \(model.pending.count) in flight \(model.inFlight)")
            try check(counts.held <= capacity, "holds \(counts.held) over capacity \(capacity)")
        }

        // Every consumer fails; a successor takes the state and delivers it all, in order.
        for consumer in consumers {
            mailbox.release(consumer.id)
            model.giveBack(consumer.id)
        }
        let state = try await mailbox.handoffState()
        try check(state.messages == model.pending, "final handover \(state.messages), expected \(model.pending)")
        let successor = try Mailbox<Int>(name: "property", capacity: capacity)
        try await successor.resume(from: state)
        successor.close(.drain)
        var delivered: [Int] = []
        try await successor.process { delivered.append($0.message) }
        try check(delivered == model.pending, "the successor delivered \(delivered), expected \(model.pending)")
        try check(Set(delivered).isDisjoint(with: model.acknowledged), "an acknowledged message came back")
    }

    private func makeConsumer(_ mailbox: Mailbox<Int>) -> MailboxConsumer<Int> {
        MailboxConsumer(mailbox: mailbox, id: mailbox.state.withLock { $0.makeConsumer() }, stop: nil)
    }
}
