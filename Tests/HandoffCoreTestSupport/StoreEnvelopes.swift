#if DEBUG  // test support: built for the tests only (see Package.swift)
import Glibc
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport

/// An envelope whose payload is `text`.
func storeEnvelope(label: String = "sessions", key: String = "eu-1", text: String = "hello",
                   stateVersion: Int = 1, oldestReaderVersion: Int = 1) -> Envelope {
    let header = EnvelopeHeader(
        label: label, key: key, stateVersion: stateVersion, oldestReaderVersion: oldestReaderVersion, codec: .binary,
        createdAtNanoseconds: 1_700_000_000_000_000_000,
        producer: Envelope.Producer(pid: getpid(), host: "test-host", build: "test"))
    return Envelope(header: header, payload: Array(text.utf8))
}

/// An envelope whose payload is `text`, made at `createdAt` nanoseconds.
func storeEnvelope(text: String, createdAt: Int64) -> Envelope {
    var envelope = storeEnvelope(text: text)
    envelope.header.createdAtNanoseconds = createdAt
    return envelope
}
#endif
