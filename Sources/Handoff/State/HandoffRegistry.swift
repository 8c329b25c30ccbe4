import Synchronization
import HandoffSystem

/// The ``HandoffAware`` instances of a process, by label and key.
///
/// The ``Upgrader`` owns one (``Upgrader/state``). It collects every instance's state when the
/// process is replaced or stops, and applies what the predecessor (or the store) hands over.
/// Applying is all or nothing as far as decoding goes: every envelope is decoded and migrated
/// before any instance's ``HandoffAware/resume(from:)`` is called.
///
/// Gate request handling on ``restored()`` when answers depend on the state:
///
/// ```swift
/// try upgrader.state.register(counter)
/// try await upgrader.ready()
/// // … in the request handler:
/// _ = await upgrader.state.restored()
/// ```
public final class HandoffRegistry: Sendable {
    /// What became of the state a process could have inherited.
    public enum Outcome: Sendable, Equatable {
        /// State for these `label/key` names was applied.
        case restored([String])
        /// There was nothing to restore.
        case nothingToRestore
        /// State exists but could not be applied; it stays where it was (offered, or with the
        /// predecessor). The reason says why.
        case failed(HandoffError)
    }

    struct Member: Sendable {
        let label: String
        let key: String
        let version: Int
        let oldestReader: Int
        let codec: HandoffCodec
        let collect: @Sendable () async throws -> [UInt8]
        /// A copy of the state that leaves the instance undisturbed (checkpoints).
        let snapshot: @Sendable () async throws -> [UInt8]
        let abandon: @Sendable () async -> Void
        /// Decodes (migrating if needed) and returns the call that resumes the instance.
        let prepare: @Sendable (Envelope) throws -> @Sendable () async throws -> Void
        /// Decodes (migrating if needed) and returns the call that merges the state into the
        /// instance; `nil` for a type that is not ``HandoffMergeable``.
        let prepareMerge: (@Sendable (Envelope) throws -> @Sendable () async throws -> Void)?
        /// Whether the type asks to follow the store's offers.
        let follows: Bool

        var name: String { "\(label)/\(key)" }
    }

    private let members = Mutex<[String: (order: Int, member: Member)]>([:])
    private let outcome = AsyncLatch<Outcome>()
    /// Holds merges of offers back while the state is given up (HandoffRegistry+Follow.swift).
    let mergeGate = MergeGate()
    let producer: Envelope.Producer
    let maxPayloadLength: Int

    package init(producer: Envelope.Producer, maxPayloadLength: Int) {
        self.producer = producer
        self.maxPayloadLength = maxPayloadLength
    }

    /// Registers an instance under its type's label and its key.
    /// - Throws: ``HandoffError/Code/duplicateRegistration`` if one is registered under the
    ///   same label and key.
    ///
    /// An instance of a ``HandoffMergeable`` type also takes state offered while this process
    /// runs, if it follows offers.
    public func register<T: HandoffAware>(_ instance: T) throws {
        let mergeable = (instance as? any HandoffMergeable).map { HandoffRegistry.merging($0) }
        let member = Member(
            label: T.handoffLabel, key: instance.handoffKey, version: T.handoffVersion,
            oldestReader: T.handoffOldestReaderVersion, codec: T.handoffCodec,
            collect: { try StateCodec.encode(try await instance.handoffState(), codec: T.handoffCodec) },
            snapshot: { try StateCodec.encode(try await instance.handoffSnapshot(), codec: T.handoffCodec) },
            abandon: { await instance.handoffAbandoned() },
            prepare: { envelope in
                let state = try HandoffRegistry.decode(T.self, from: envelope)
                return { try await instance.resume(from: state) }
            },
            prepareMerge: mergeable?.prepare,
            follows: mergeable?.follows ?? false)
        try members.withLock { members throws(HandoffError) in
            let id = member.label + "\u{0}" + member.key
            if members[id] != nil {
                throw HandoffError(.duplicateRegistration, "\(member.name) is already registered")
            }
            members[id] = (members.count, member)
        }
    }

    /// Waits until the state this process could inherit has been applied, or found absent.
    public func restored() async -> Outcome {
        (try? await outcome.wait()) ?? .nothingToRestore
    }

    /// The registered `label/key` names, in registration order.
    public var names: [String] { registered.map(\.name) }

    var registered: [Member] {
        members.withLock { $0.values.sorted { $0.order < $1.order }.map(\.member) }
    }

    // MARK: Collect and apply

    /// Every instance's state, given up, as envelopes (the process has drained). Merges of
    /// offers are finished first and held back until ``abandon()``.
    package func collect() async throws -> [Envelope] {
        await mergeGate.close()
        return try await envelopes(snapshot: false)
    }

    /// A copy of every instance's state, as envelopes, leaving the instances as they are: for
    /// checkpoints.
    package func snapshot() async throws -> [Envelope] {
        try await envelopes(snapshot: true)
    }

    private func envelopes(snapshot: Bool) async throws -> [Envelope] {
        var envelopes: [Envelope] = []
        for member in registered {
            let payload: [UInt8]
            do {
                payload = try await snapshot ? member.snapshot() : member.collect()
            } catch {
                throw (error as? HandoffError ?? HandoffError(.codingFailed, "\(error)")).context("collecting \(member.name)")
            }
            if payload.count > maxPayloadLength {
                throw HandoffError(.envelopeTooLarge, "\(member.name) gave \(payload.count) bytes of state; the cap is \(maxPayloadLength)")
            }
            let header = EnvelopeHeader(
                label: member.label, key: member.key, stateVersion: member.version,
                oldestReaderVersion: member.oldestReader, codec: member.codec,
                createdAtNanoseconds: HandoffRegistry.now(), producer: producer)
            envelopes.append(Envelope(header: header, payload: payload))
        }
        return envelopes
    }

    /// Tells every instance that the state collected from it was not taken: it owns it again.
    package func abandon() async {
        for member in registered { await member.abandon() }
        mergeGate.reopen()
    }

    /// Decodes every envelope for a registered instance, then resumes each; envelopes nobody
    /// registered are returned, for the caller to keep (offer to the store).
    ///
    /// For an application that claims state by hand: claim it from the store, `apply` it, then
    /// commit the claim (or release it if this throws).
    /// - Parameter envelopes: The state, one envelope per label and key.
    /// - Returns: The envelopes no registered instance takes.
    /// - Throws: The first decoding failure, before any instance was resumed;
    ///   ``HandoffError/Code/migrationFailed`` if an instance's `resume(from:)` refused its state.
    public func apply(_ envelopes: [Envelope]) async throws -> [Envelope] {
        let byName = Dictionary(registered.map { ($0.label + "\u{0}" + $0.key, $0) }, uniquingKeysWith: { a, _ in a })
        var resumes: [(String, @Sendable () async throws -> Void)] = []
        var unclaimed: [Envelope] = []
        for envelope in envelopes {
            guard let member = byName[envelope.header.label + "\u{0}" + envelope.header.key] else {
                unclaimed.append(envelope)
                continue
            }
            do {
                resumes.append((member.name, try member.prepare(envelope)))
            } catch {
                throw (error as? HandoffError ?? HandoffError(.codingFailed, "\(error)")).context("state \(member.name)")
            }
        }
        for (name, resume) in resumes {
            do {
                try await resume()
            } catch {
                throw HandoffError(.migrationFailed, "\(name) refused its state in resume(from:): \(error)")
            }
        }
        return unclaimed
    }

    /// Records the outcome for ``restored()``; the first one recorded stands.
    func finish(_ result: Outcome) { outcome.fulfill(result) }

    // MARK: Decoding

    /// Decodes an envelope as `T`'s state, migrating an older version through
    /// ``HandoffAware/migrate(_:fromVersion:)``: what a process does with claimed state before
    /// it resumes or merges it.
    /// - Parameters:
    ///   - type: The type whose state the envelope holds.
    ///   - envelope: The envelope, verified (as a store's claim gives it).
    /// - Returns: The state in today's shape.
    /// - Throws: ``HandoffError/Code/newerVersion`` if it needs a newer reader;
    ///   ``HandoffError/Code/migrationFailed`` if migrating failed;
    ///   ``HandoffError/Code/codingFailed`` if it does not decode.
    public static func decode<T: HandoffAware>(_ type: T.Type, from envelope: Envelope) throws -> T.State {
        let header = envelope.header
        if header.oldestReaderVersion > T.handoffVersion {
            throw HandoffError(.newerVersion, "\(header.label)/\(header.key) was written in version \(header.stateVersion) and needs a reader of version \(header.oldestReaderVersion); this one reads \(T.handoffVersion)")
        }
        if header.stateVersion < T.handoffVersion {
            let payload = HandoffPayload(version: header.stateVersion, codec: header.codec, bytes: envelope.payload)
            do {
                return try T.migrate(payload, fromVersion: header.stateVersion)
            } catch let error as HandoffError where error.code == .migrationFailed {
                throw error
            } catch {
                throw HandoffError(.migrationFailed, "\(header.label)/\(header.key) from version \(header.stateVersion) to \(T.handoffVersion): \(error)")
            }
        }
        return try StateCodec.decode(T.State.self, from: envelope.payload, codec: header.codec)
    }

    package static func now() -> Int64 {
        SystemClock.realtimeNanoseconds()
    }
}
