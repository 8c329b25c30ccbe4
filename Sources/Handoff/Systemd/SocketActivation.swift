import HandoffSystem

/// The descriptors systemd passed at start (`sd_listen_fds(3)` without libsystemd): sockets of
/// a `.socket` unit, and what the file descriptor store kept across a restart.
///
/// `LISTEN_PID` must be this process, `LISTEN_FDS` the count of descriptors from 3 on, and
/// `LISTEN_FDNAMES` their names (`FileDescriptorName=`, or `FDNAME=` for stored ones),
/// colon-separated and percent-decoded (``FileDescriptorName``). The three variables are
/// removed, so a program this process starts does not take the descriptors for its own; an
/// upgrade's successor never sees them (it inherits the descriptors by name instead).
///
/// Each descriptor becomes an inherited named descriptor of the kind it is (listener, datagram,
/// connection, file). A socket passed twice (by its socket unit and from the fd store) is kept
/// once. A name given to several descriptors (a socket unit's default name for all its
/// sockets) becomes `name#0`, `name#1`… in order. Descriptors named
/// `handoff-state-0`/`handoff-state-1` are the state checkpoints of the file descriptor store
/// (``StateCheckpoint``), read rather than registered.
struct SocketActivation {
    /// The first passed descriptor (`SD_LISTEN_FDS_START`).
    static let firstDescriptor: CInt = 3

    var entries: [Descriptors.Entry] = []
    /// State checkpoints found among the descriptors.
    var checkpoints: [StateCheckpoint] = []

    /// Takes the descriptors passed to this process, if `LISTEN_PID` names it.
    /// - Returns: `nil` if nothing was passed to this process.
    /// - Throws: ``HandoffError/Code/invalidArgument`` for a `LISTEN_FDS` that is not a count;
    ///   ``HandoffError/Code/descriptorMismatch`` if a passed descriptor is not open or of no
    ///   kind the package knows. The passed descriptors are closed then.
    static func take() throws(HandoffError) -> SocketActivation? {
        let pid = variable("LISTEN_PID")
        let count = variable("LISTEN_FDS")
        let names = variable("LISTEN_FDNAMES")
        for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] { Environment.remove(name) }
        guard let pid, Int32(pid) == Syscall.processID, let count else { return nil }
        guard let total = Int(count), total >= 0, total <= 4096 else {
            throw HandoffError(.invalidArgument, "LISTEN_FDS=\(count) is not a descriptor count")
        }
        guard total > 0 else { return nil }
        let descriptors = (0..<CInt(total)).map { firstDescriptor + $0 }
        var given = names.map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) } ?? []
        if given.count != total { given = Array(repeating: "unknown", count: total) }
        let decoded = given.map(FileDescriptorName.decode)
        do throws(HandoffError) {
            // A socket of the socket unit that was also put in the fd store arrives twice.
            let (kept, names) = try distinct(descriptors, names: decoded)
            return try adopt(kept, names: unique(names))
        } catch {
            descriptors.forEach(Syscall.close)
            throw error.context("adopting the descriptors systemd passed (LISTEN_FDS=\(total))")
        }
    }

    /// The descriptors with duplicates of one open file (same device and inode) closed.
    static func distinct(_ descriptors: [CInt], names: [String]) throws(HandoffError) -> ([CInt], [String]) {
        var seen: Set<[UInt64]> = []
        var kept: [CInt] = [], keptNames: [String] = []
        for (fd, name) in zip(descriptors, names) {
            guard let info = try? Syscall.status(fd) else {
                throw HandoffError(.descriptorMismatch, "passed descriptor \"\(name)\" (fd \(fd)) is not open")
            }
            if seen.insert([info.device, info.inode]).inserted {
                kept.append(fd)
                keptNames.append(name)
            } else {
                Syscall.close(fd)
            }
        }
        return (kept, keptNames)
    }

    /// Validates each descriptor and sorts checkpoints from the rest.
    static func adopt(_ descriptors: [CInt], names: [String]) throws(HandoffError) -> SocketActivation {
        var activation = SocketActivation()
        for (fd, name) in zip(descriptors, names) {
            try Syscall.setCloseOnExec(fd)
            let kind = try kind(of: fd, name: name)
            if kind == .file, StateCheckpoint.isSlot(name) {
                activation.checkpoints.append(StateCheckpoint(name: name, fd: fd))
                continue
            }
            let bound = try Sockets.validate(fd, as: kind, name: name)?.address
            let record = DescriptorRecord(name: name, kind: kind, address: bound?.description ?? "", extra: [])
            activation.entries.append(Descriptors.Entry(record: record, fd: fd, bound: bound))
        }
        return activation
    }

    /// What a descriptor is: a listening stream socket, a connected one, a datagram socket, or
    /// anything else (a file, a pipe, a memfd).
    static func kind(of fd: CInt, name: String) throws(HandoffError) -> DescriptorKind {
        let info: FileStatus
        do throws(HandoffError) {
            info = try Syscall.status(fd)
        } catch {
            throw HandoffError(.descriptorMismatch, "passed descriptor \"\(name)\" (fd \(fd)) is not open: \(error.reason)")
        }
        guard info.kind == .socket else { return .file }
        let type = SocketType(rawValue: try Syscall.socketOption(fd, .type))
        switch type {
        case .stream:
            return try Syscall.socketOption(fd, .acceptsConnections) != 0 ? .listener : .connection
        case .datagram:
            return .datagram
        default:
            throw HandoffError(.descriptorMismatch, "passed descriptor \"\(name)\" (fd \(fd)) has socket type \(type), neither stream nor datagram")
        }
    }

    /// Names made unique: a repeated name becomes `name#0`, `name#1`… in order.
    static func unique(_ names: [String]) -> [String] {
        var counts: [String: Int] = [:]
        for name in names { counts[name, default: 0] += 1 }
        var seen: [String: Int] = [:]
        return names.map { name in
            guard counts[name]! > 1 else { return name }
            defer { seen[name, default: 0] += 1 }
            return "\(name)#\(seen[name, default: 0])"
        }
    }

    private static func variable(_ name: String) -> String? {
        Environment.value(name)}
}
