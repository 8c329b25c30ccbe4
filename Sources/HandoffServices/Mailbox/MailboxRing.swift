import Handoff
import HandoffSystem
/// A first-in first-out queue on a growable ring of slots: appending and taking the first
/// element are O(1) and allocate only when the ring grows.
///
/// Inlinable, like the rest of the mailbox's hot path, so that a client's `Mailbox<Job>` runs
/// code specialized for `Job` rather than generic code that looks its types up at every call.
@usableFromInline
struct MailboxRing<Element> {
    @usableFromInline var slots: [Element?]
    @usableFromInline var head = 0
    @usableFromInline var count = 0

    @inlinable
    init(capacity: Int = 16) {
        var size = 16
        while size < capacity { size <<= 1 }
        slots = Array(repeating: nil, count: size)
    }

    @inlinable var isEmpty: Bool { count == 0 }

    /// The first element, without taking it.
    @inlinable var first: Element? { count == 0 ? nil : slots[head] }

    @inlinable
    mutating func append(_ element: Element) {
        if count == slots.count { grow() }
        slots[(head &+ count) & (slots.count &- 1)] = element
        count &+= 1
    }

    @inlinable
    mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = slots[head].take()
        head = (head &+ 1) & (slots.count &- 1)
        count &-= 1
        return element
    }

    /// Removes and returns the first element that satisfies `predicate`, keeping the others in
    /// order. O(n): for the rare cancellation of a waiter.
    mutating func remove(where predicate: (Element) -> Bool) -> Element? {
        var found: Element?
        var kept = MailboxRing(capacity: slots.count)
        while let element = popFirst() {
            if found == nil && predicate(element) { found = element } else { kept.append(element) }
        }
        self = kept
        return found
    }

    /// Every element, in order, leaving the ring as it is.
    var elements: [Element] {
        (0..<count).map { slots[(head + $0) & (slots.count - 1)]! }
    }

    /// Takes every element, in order.
    mutating func removeAll() -> [Element] {
        var all: [Element] = []
        all.reserveCapacity(count)
        while let element = popFirst() { all.append(element) }
        return all
    }

    @usableFromInline
    mutating func grow() {
        var larger = [Element?](repeating: nil, count: slots.count * 2)
        for index in 0..<count { larger[index] = slots[(head + index) & (slots.count - 1)].take() }
        slots = larger
        head = 0
    }
}
