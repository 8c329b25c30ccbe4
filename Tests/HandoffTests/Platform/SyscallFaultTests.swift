import Glibc
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport

/// Failures injected into real system calls, in-process: what a full disk, an interrupted call or
/// a process out of descriptors does to the code above the seam.
@Suite("System calls that fail: EINTR, ENOSPC, EMFILE, EAGAIN injected at the seam", .offCooperativePool)
struct SyscallFaultTests {
    @Test("an interrupted write is retried, and the offer lands whole")
    func interruptedWriteIsRetried() async throws {
        let directory = try TemporaryStoreDirectory()
        let store = try DirectoryStore(directory: directory.path)
        let envelope = storeEnvelope(text: "interrupted three times")
        let faults = SyscallFaults([.init("write", .interrupted, times: 3), .init("fsync", .interrupted)])
        try await faults.inject { try await store.offer(envelope, ttl: nil) }
        #expect(faults.unused.isEmpty)
        let claim = try #require(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1))
        #expect(claim.envelope == envelope)
    }

    @Test("a full disk at fsync refuses the offer with ENOSPC named, leaves no file, and keeps an earlier offer")
    func fullDiskRefusesTheOffer() async throws {
        let directory = try TemporaryStoreDirectory()
        let store = try DirectoryStore(directory: directory.path)
        let earlier = storeEnvelope(key: "earlier", text: "already offered")
        try await store.offer(earlier, ttl: nil)
        let faults = SyscallFaults([.init("fsync", .noSpace)])
        let error = await #expect(throws: HandoffError.self) {
            try await faults.inject { try await store.offer(storeEnvelope(key: "later"), ttl: nil) }
        }
        #expect(error?.code == .storeFailed)
        #expect(error?.errno == .noSpace)
        #expect(error?.reason.contains("fsync") == true)
        #expect(faults.unused.isEmpty)
        #expect(directory.names() == ["sessions+earlier+offer"])
        #expect(try await store.claim(label: "sessions", key: "earlier", readerVersion: 1)?.envelope == earlier)
        // Once the disk has room again, the same offer goes through.
        try await store.offer(storeEnvelope(key: "later"), ttl: nil)
        #expect(try await store.claim(label: "sessions", key: "later", readerVersion: 1) != nil)
    }

    @Test("no descriptors left: a listener is refused with EMFILE named, nothing is registered, and the next try binds")
    func outOfDescriptors() throws {
        let descriptors = Descriptors()
        defer { descriptors.closeAll() }
        let address = try SocketEndpoint(parsing: "127.0.0.1:0")
        let faults = SyscallFaults([.init("socket", .tooManyOpenFiles)])
        let error = #expect(throws: HandoffError.self) {
            try faults.inject { try descriptors.listener(address, name: "http") }
        }
        #expect(error?.code == .systemCall)
        #expect(error?.errno == .tooManyOpenFiles)
        #expect(error?.reason.hasPrefix("socket") == true)
        #expect(faults.unused.isEmpty)
        let fd = try descriptors.listener(address, name: "http")
        #expect(fd >= 0)
    }
}
