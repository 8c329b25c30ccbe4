import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffServices
@testable import HandoffOperations
@testable import HandoffEtcd
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport
@testable import HandoffEtcdTestSupport

/// The directory store across processes (`handoff-store-fixture`), and on a full file system.
@Suite("DirectoryStore across processes", .serialized, .offCooperativePool)
struct DirectoryStoreProcessTests {
    @Test("of two processes claiming one offer at once, exactly one gets it (200 rounds)", .timeLimit(.minutes(2)))
    func concurrentClaimers() async throws {
        let directory = try TemporaryStoreDirectory()
        let store = try DirectoryStore(directory: directory.path)
        let arguments = ["claim", directory.path, "sessions", "eu-1"]
        for round in 1...200 {
            try await store.offer(storeEnvelope(text: "round \(round)"), ttl: nil)
            let claimers = [try StoreFixtureRun(arguments), try StoreFixtureRun(arguments)]
            var lines: [String] = []
            for claimer in claimers {
                let (status, line) = try await claimer.finish()
                #expect(status == 0, "\(claimer.stderr)")
                lines.append(line)
            }
            #expect(lines.sorted() == ["claimed round \(round)", "none"], "round \(round)")
            #expect(directory.names().isEmpty, "round \(round): the winner committed")
            if lines.sorted() != ["claimed round \(round)", "none"] { break }
        }
    }

    @Test("a claimer killed before it commits loses its claim, and the next claim gets the offer again", .timeLimit(.minutes(1)))
    func killedClaimer() async throws {
        let directory = try TemporaryStoreDirectory()
        let store = try DirectoryStore(directory: directory.path)
        try await store.offer(storeEnvelope(text: "survives a crash"), ttl: nil)
        let holder = try StoreFixtureRun(["claim", directory.path, "sessions", "eu-1", "--hold"])
        #expect(try holder.firstLine() == "claimed survives a crash")
        // While the claimer lives, its claim is its own.
        #expect(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1) == nil)
        let second = try StoreFixtureRun(["claim", directory.path, "sessions", "eu-1"])
        #expect(try await second.finish().line == "none")

        holder.kill(SIGKILL)
        _ = try await holder.finish()
        let claim = try #require(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1))
        #expect(claim.envelope.payload == Array("survives a crash".utf8))
        try await store.commit(claim)
        #expect(directory.names().isEmpty)
    }

    @Test("an offer that does not fit on the disk fails with storeFailed naming the call, leaving no file and earlier offers intact", .timeLimit(.minutes(1)))
    func fullDisk() async throws {
        let directory = try TemporaryStoreDirectory()
        let mountPoint = directory.parent + "/tiny"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: false)
        let mounted = "size=64k,mode=0700".withCString { mount("tmpfs", mountPoint, "tmpfs", 0, $0) }
        guard mounted == 0 else {
            let reason = String(cString: strerror(errno))
            try Test.cancel("cannot mount a 64 KiB tmpfs to fill (\(reason)); needs root or CAP_SYS_ADMIN")
        }
        defer { _ = umount2(mountPoint, Int32(MNT_DETACH)) }

        let store = try DirectoryStore(directory: mountPoint + "/store")
        try await store.offer(storeEnvelope(key: "small", text: "kept"), ttl: nil)
        let big = storeEnvelope(key: "big", text: String(repeating: "x", count: 200 * 1024))
        await #expect { try await store.offer(big, ttl: nil) } throws: { error in
            let error = error as? HandoffError
            return error?.code == .storeFailed && error?.errno == .noSpace
                && error?.reason.contains("write(\(mountPoint)/store/sessions+big+tmp+") == true
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: mountPoint + "/store")
        #expect(names == ["sessions+small+offer"])
        let claim = try #require(try await store.claim(label: "sessions", key: "small", readerVersion: 1))
        #expect(claim.envelope.payload == Array("kept".utf8))
        try await store.commit(claim)
        // A second failure, on an empty store, leaves nothing either.
        await #expect(throws: HandoffError.self) { try await store.offer(big, ttl: nil) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint + "/store").isEmpty)
    }
}
