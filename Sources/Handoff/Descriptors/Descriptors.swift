import Synchronization
import HandoffSystem

/// The named file descriptors a process hands to its successor: bind new ones, or inherit the
/// predecessor's under the same name.
///
/// Ask for a listener by address; the first generation binds it, every later one inherits the
/// very same socket, so the kernel's accept queue is never closed:
///
/// ```swift
/// let fd = try upgrader.descriptors.listener(try SocketEndpoint(parsing: "127.0.0.1:8080"))
/// ```
///
/// Every descriptor the registry opens is close-on-exec. The registry owns what it holds: don't
/// close a descriptor it returned; call ``remove(_:)`` or ``closeAll()``.
public final class Descriptors: Sendable {
    struct Entry: Sendable {
        var record: DescriptorRecord
        var fd: CInt
        /// The socket's local address, as validated when it was made, registered or received.
        var bound: SocketEndpoint?

        /// A Unix socket path this process may remove at its final shutdown.
        var path: String? { Descriptors.path(of: bound, kind: record.kind) }
    }

    /// Held descriptors, and inherited ones not yet claimed, each in the order they came (a
    /// successor receives them in that order): see ``DescriptorTable``.
    private struct State {
        var held = DescriptorTable()
        var inherited = DescriptorTable()
        var replaced = false
    }

    private let state = Mutex(State())

    init() {}

    /// A listening stream socket on `address`: inherited under `name` if the predecessor had
    /// one, bound otherwise.
    ///
    /// - Parameters:
    ///   - address: Where to listen. Port 0 lets the kernel choose on the first start; later
    ///     generations inherit that same socket, because the key is the address asked for.
    ///   - name: The key the successor finds it by; defaults to `"listener:<address>"`.
    ///   - backlog: The `listen(2)` backlog for a new socket.
    /// - Returns: The descriptor, in blocking mode as created or inherited.
    /// - Throws: ``HandoffError`` if binding fails, or if the inherited descriptor is not a
    ///   listening socket on that address (``HandoffError/Code/descriptorMismatch``).
    public func listener(_ address: SocketEndpoint, name: String? = nil, backlog: Int32 = 4096) throws -> CInt {
        try obtain(name ?? "listener:\(address)", kind: .listener, address: address) { () throws(HandoffError) in
            try Sockets.listener(address, backlog: backlog)
        }
    }

    /// A datagram socket bound to `address`: inherited under `name`, or bound.
    /// - Throws: ``HandoffError`` as ``listener(_:name:backlog:)`` does.
    public func datagram(_ address: SocketEndpoint, name: String? = nil) throws -> CInt {
        try obtain(name ?? "datagram:\(address)", kind: .datagram, address: address) { () throws(HandoffError) in
            try Sockets.datagram(address)
        }
    }

    /// A file opened with `open(2)`: inherited under `name`, or opened (close-on-exec).
    /// - Parameters:
    ///   - path: The file's path.
    ///   - name: The key the successor finds it by; defaults to `"file:<path>"`.
    ///   - flags: `open(2)` flags; `O_CLOEXEC` is added.
    ///   - mode: The mode of a file `O_CREAT` makes.
    /// - Throws: ``HandoffError`` if `open(2)` fails or the inherited descriptor is a socket.
    public func file(_ path: String, name: String? = nil, flags: Int32 = OpenFlags.appendOrCreate.rawValue, mode: UInt32 = 0o644) throws -> CInt {
        try obtain(name ?? "file:\(path)", kind: .file, address: nil, addressText: path) { () throws(HandoffError) in
            try Syscall.open(path, OpenFlags(rawValue: flags), mode: mode)
        }
    }

    /// Registers a descriptor the application made, so successors inherit it under `name`.
    ///
    /// The registry takes ownership and marks it close-on-exec.
    /// - Throws: ``HandoffError/Code/duplicateName`` if the name is taken, or
    ///   ``HandoffError/Code/descriptorMismatch`` if `fd` is not a `kind`.
    public func register(_ fd: CInt, name: String, kind: DescriptorKind) throws {
        let address = try Sockets.validate(fd, as: kind, name: name)?.address
        try Syscall.setCloseOnExec(fd)
        try state.withLock { state throws(HandoffError) in
            if state.held.contains(name) || state.inherited.contains(name) {
                throw HandoffError(.duplicateName, "a descriptor named \"\(name)\" is already registered")
            }
            let record = DescriptorRecord(name: name, kind: kind, address: address?.description ?? "", extra: [])
            state.held.append(Entry(record: record, fd: fd, bound: address))
        }
    }

    /// Takes the inherited descriptor registered under `name`, whatever made it.
    /// - Returns: The descriptor, or `nil` if the predecessor passed none by that name.
    /// - Throws: ``HandoffError/Code/descriptorMismatch`` if it is not a `kind`.
    public func inherited(_ name: String, kind: DescriptorKind) throws -> CInt? {
        try state.withLock { state throws(HandoffError) -> CInt? in
            guard let entry = state.inherited.take(name) else { return nil }
            if entry.record.kind != kind {
                state.inherited.append(entry)
                throw HandoffError(.descriptorMismatch, "inherited \"\(name)\" is a \(entry.record.kind), not a \(kind)")
            }
            state.held.append(entry)
            return entry.fd
        }
    }

    /// The descriptor held under `name`, if any.
    public func descriptor(named name: String) -> CInt? {
        state.withLock { $0.held.entry(named: name)?.fd }
    }

    /// The names of the descriptors held, in the order they were obtained.
    public var names: [String] { state.withLock { $0.held.entries.map(\.record.name) } }

    /// Closes and forgets the descriptor `name`; successors will not inherit it. A Unix
    /// socket's path is removed unless this process has been replaced.
    public func remove(_ name: String) {
        let removed = state.withLock { state -> (Entry?, Bool) in
            (state.held.take(name), state.replaced)
        }
        if let entry = removed.0 { Descriptors.close(entry, unlink: !removed.1) }
    }

    /// Closes everything: the final shutdown. Unix socket paths are removed only if no
    /// successor took them over; an upgrade never removes one.
    public func closeAll() {
        let (entries, replaced) = state.withLock { state in
            defer { state.held.removeAll(); state.inherited.removeAll() }
            return (state.held.entries + state.inherited.entries, state.replaced)
        }
        for entry in entries { Descriptors.close(entry, unlink: !replaced) }
    }

    // MARK: Upgrade plumbing

    /// Adds what the predecessor passed; each has been validated against its record.
    func addInherited(_ entries: [Entry]) {
        state.withLock { state in
            if state.inherited.isEmpty {
                state.inherited = DescriptorTable(entries)
            } else {
                for entry in entries { state.inherited.append(entry) }
            }
        }
    }

    /// Closes inherited descriptors nobody claimed (when the process is ready).
    @discardableResult
    func closeUnclaimed() -> [String] {
        let unclaimed = state.withLock { state in
            defer { state.inherited.removeAll() }
            return state.inherited.entries
        }
        for entry in unclaimed { Syscall.close(entry.fd) }
        return unclaimed.map(\.record.name).sorted()
    }

    /// What to pass to a successor: every held descriptor and every not-yet-claimed inherited
    /// one (so a descriptor survives a generation that did not ask for it before it was ready).
    package func handoverSnapshot() -> [(record: DescriptorRecord, fd: CInt)] {
        state.withLock { state in
            var snapshot: [(record: DescriptorRecord, fd: CInt)] = []
            snapshot.reserveCapacity(state.held.count + state.inherited.count)
            state.held.forEach { snapshot.append(($0.record, $0.fd)) }
            for entry in state.inherited.entries.sorted(by: { $0.record.name < $1.record.name }) {
                snapshot.append((entry.record, entry.fd))
            }
            return snapshot
        }
    }

    /// Records that a successor took over: paths are no longer ours to remove.
    func markReplaced() { state.withLock { $0.replaced = true } }

    private func obtain(
        _ name: String, kind: DescriptorKind, address: SocketEndpoint?, addressText: String? = nil,
        create: () throws(HandoffError) -> CInt
    ) throws(HandoffError) -> CInt {
        let inherited = try state.withLock { state throws(HandoffError) -> Entry? in
            // An inherited name is never also held, so the common case — claiming what the
            // predecessor passed, in the order it passed it — needs no other lookup.
            if let entry = state.inherited.take(name) {
                state.held.append(entry)
                return entry
            }
            if state.held.contains(name) {
                throw HandoffError(.duplicateName, "a descriptor named \"\(name)\" is already held")
            }
            return nil
        }
        if let entry = inherited {
            if entry.record.kind != kind {
                throw HandoffError(.descriptorMismatch, "inherited \"\(name)\" is a \(entry.record.kind), not a \(kind)")
            }
            // The descriptor was validated against its kind when it arrived; only the address
            // asked for remains to compare.
            if let address {
                guard let bound = entry.bound, address.isSatisfied(by: bound) else {
                    throw HandoffError(.descriptorMismatch, "inherited \"\(name)\" is bound to \(entry.bound?.description ?? "nothing"), not \(address)")
                }
            }
            return entry.fd
        }
        let fd = try create()
        let text = addressText ?? address?.description ?? ""
        let record = DescriptorRecord(name: name, kind: kind, address: text, extra: [])
        let entry = Entry(record: record, fd: fd, bound: address)
        try state.withLock { state throws(HandoffError) in
            // Checked again: another thread may have taken the name while the socket was made.
            if state.held.contains(name) {
                Descriptors.close(entry, unlink: false)
                throw HandoffError(.duplicateName, "a descriptor named \"\(name)\" is already held")
            }
            state.held.append(entry)
        }
        return fd
    }

    static func path(of address: SocketEndpoint?, kind: DescriptorKind) -> String? {
        guard kind == .listener || kind == .datagram, case .unix(let path)? = address else { return nil }
        return path
    }

    private static func close(_ entry: Entry, unlink removePath: Bool) {
        Syscall.close(entry.fd)
        if removePath, let path = entry.path { Syscall.removeQuietly(path) }
    }
}
