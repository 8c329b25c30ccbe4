import Foundation
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport

/// The directory store in one process: offers, claims, refusals, expiry, notifications.
@Suite("DirectoryStore", .offCooperativePool)
struct DirectoryStoreTests {
    @Test("an offer is claimed once and committed; a second claim gets nothing")
    func roundTrip() async throws {
        let directory = try TemporaryStoreDirectory()
        let store = try DirectoryStore(directory: directory.path)
        let envelope = storeEnvelope(text: "state one")
        try await store.offer(envelope, ttl: nil)
        #expect(directory.names() == ["sessions+eu-1+offer"])

        let claim = try #require(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1))
        #expect(claim.envelope == envelope)
        #expect(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1) == nil)
        try await store.commit(claim)
        #expect(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1) == nil)
        #expect(directory.names().isEmpty)
        // With the first one gone, the label and key can be offered again.
        try await store.offer(storeEnvelope(text: "state two"), ttl: nil)
        #expect(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1)?.envelope.payload == Array("state two".utf8))
    }

    @Test("a released claim can be claimed again, and a commit after the release is claimLost")
    func releaseThenCommit() async throws {
        let directory = try TemporaryStoreDirectory()
        let store = try DirectoryStore(directory: directory.path)
        try await store.offer(storeEnvelope(), ttl: nil)
        let first = try #require(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1))
        try await store.release(first)
        let second = try #require(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1))
        #expect(second.envelope == first.envelope)
        #expect(second.token != first.token)

        await #expect { try await store.commit(first) } throws: { ($0 as? HandoffError)?.code == .claimLost }
        await #expect { try await store.release(first) } throws: { ($0 as? HandoffError)?.code == .claimLost }
        try await store.commit(second)
        await #expect { try await store.commit(second) } throws: { ($0 as? HandoffError)?.code == .claimLost }
    }

    @Test("state that needs a newer reader is refused with newerVersion and stays offered for one that can read it")
    func newerVersionStays() async throws {
        let directory = try TemporaryStoreDirectory()
        let store = try DirectoryStore(directory: directory.path)
        try await store.offer(storeEnvelope(stateVersion: 5, oldestReaderVersion: 4), ttl: nil)
        await #expect { _ = try await store.claim(label: "sessions", key: "eu-1", readerVersion: 3) } throws: {
            ($0 as? HandoffError)?.code == .newerVersion
        }
        #expect(directory.names() == ["sessions+eu-1+offer"])
        let claim = try #require(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 4))
        #expect(claim.envelope.header.stateVersion == 5)
        try await store.commit(claim)
    }

    @Test("a payload damaged on disk is refused with checksumMismatch, and the offer stays under its name")
    func corruptOfferStays() async throws {
        let directory = try TemporaryStoreDirectory()
        let store = try DirectoryStore(directory: directory.path)
        try await store.offer(storeEnvelope(text: "precious state"), ttl: nil)
        let path = store.offerPath(label: "sessions", key: "eu-1")
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let (_, headerLength) = try EnvelopeHeader.decode(bytes[...])
        bytes[headerLength + 3] ^= 0x20
        try flipInPlace(path, bytes)

        for _ in 0..<2 {
            await #expect { _ = try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1) } throws: {
                ($0 as? HandoffError)?.code == .checksumMismatch
            }
            #expect(directory.names() == ["sessions+eu-1+offer"])
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == bytes)
        }
    }

    @Test("an expired offer is not delivered and is removed by the next claim; an unexpired one is")
    func expiry() async throws {
        let directory = try TemporaryStoreDirectory()
        let store = try DirectoryStore(directory: directory.path)
        try await store.offer(storeEnvelope(key: "short"), ttl: .nanoseconds(1))
        let offeredAfter = Int(Date().timeIntervalSince1970)
        try await store.offer(storeEnvelope(key: "long"), ttl: .seconds(3600))
        let offeredBefore = Int(Date().timeIntervalSince1970)
        #expect(directory.names() == ["sessions+long+offer", "sessions+short+offer"])

        #expect(try await store.claim(label: "sessions", key: "short", readerVersion: 1) == nil)
        #expect(directory.names() == ["sessions+long+offer"])

        var info = stat()
        #expect(stat(store.offerPath(label: "sessions", key: "long"), &info) == 0)
        let expiry = Int(info.st_mtim.tv_sec)
        #expect((offeredAfter + 3600...offeredBefore + 3601).contains(expiry), "the mtime holds the expiry: the offer's time + 3600 s")
        #expect(try await store.claim(label: "sessions", key: "long", readerVersion: 1) != nil)
        await #expect { try await store.offer(storeEnvelope(key: "zero"), ttl: .zero) } throws: {
            ($0 as? HandoffError)?.code == .invalidArgument
        }
    }

    @Test("offers(label:) yields the header of a new offer of its label, and not of others")
    func notification() async throws {
        let directory = try TemporaryStoreDirectory()
        let store = try DirectoryStore(directory: directory.path)
        let offers = store.offers(label: "sessions")
        try await store.offer(storeEnvelope(label: "carts", key: "x"), ttl: nil)
        try await store.offer(storeEnvelope(label: "sessions", key: "eu-2", text: "announced"), ttl: nil)
        let header = try await withDeadline(.seconds(10)) {
            for await header in offers { return header }
            throw StoreTestTimeout()
        }
        #expect(header.label == "sessions")
        #expect(header.key == "eu-2")
        #expect(header.payloadLength == "announced".utf8.count)
    }

    @Test("where inotify is not had, new offers are found by listing the directory")
    func pollingNotification() async throws {
        let directory = try TemporaryStoreDirectory()
        let store = try DirectoryStore(directory: directory.path)
        try await store.offer(storeEnvelope(key: "before"), ttl: nil)
        let offers = OfferWatcher.stream(directory: store.directory, label: "sessions", polling: true) { name in
            DirectoryStore.peekHeader(at: store.path(name))
        }
        try await store.offer(storeEnvelope(key: "after"), ttl: nil)
        let header = try await withDeadline(.seconds(10)) {
            for await header in offers { return header }
            throw StoreTestTimeout()
        }
        #expect(header.key == "after", "an offer made before the stream began is not news")
    }

    @Test("a claim whose pid now belongs to a later process is revived and delivered again")
    func reusedPidIsDead() async throws {
        let directory = try TemporaryStoreDirectory()
        let store = try DirectoryStore(directory: directory.path)
        try await store.offer(storeEnvelope(text: "orphaned"), ttl: nil)
        // As if this pid had claimed it in an earlier life: same pid, another start time.
        let me = ClaimOwner.current
        let ghost = ClaimOwner(pid: me.pid, startTime: me.startTime + 1, boot: me.boot)
        let claimName = DirectoryStoreLayout.claimName(label: "sessions", key: "eu-1", owner: ghost, sequence: 1)
        #expect(rename(store.offerPath(label: "sessions", key: "eu-1"), store.path(claimName)) == 0)

        let claim = try #require(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1))
        #expect(claim.envelope.payload == Array("orphaned".utf8))
        #expect(!directory.names().contains(claimName))
        // A claim of a live process (this one) is left alone.
        #expect(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1) == nil)
        try await store.commit(claim)
    }

    @Test("any label and key make a safe, readable file name and round-trip",
          arguments: ["", "a/b", "..", ".hidden", "a+b%c~d", "über 🚀", String(repeating: "long/", count: 120)])
    func awkwardNames(key: String) async throws {
        let directory = try TemporaryStoreDirectory()
        let store = try DirectoryStore(directory: directory.path)
        try await store.offer(storeEnvelope(label: "odd label", key: key), ttl: nil)
        try await store.offer(storeEnvelope(label: "odd label", key: key + "/"), ttl: nil)
        let names = directory.names()
        #expect(names.count == 2)
        #expect(names.allSatisfy { !$0.hasPrefix(".") && $0.utf8.count <= 200 && $0.hasPrefix("odd%20label+") })
        let claim = try #require(try await store.claim(label: "odd label", key: key, readerVersion: 1))
        #expect(claim.envelope.header.key == key)
        #expect(DirectoryStoreLayout.parse(claim.token) == .claim(stem: DirectoryStoreLayout.stem(label: "odd label", key: key), owner: .current))
        try await store.commit(claim)
    }

    @Test("a directory open to others, or one that cannot be made, is refused with storeFailed")
    func refusedDirectories() throws {
        let directory = try TemporaryStoreDirectory()
        _ = try DirectoryStore(directory: directory.path)
        #expect(chmod(directory.path, 0o755) == 0)
        #expect { _ = try DirectoryStore(directory: directory.path) } throws: {
            ($0 as? HandoffError)?.code == .storeFailed && ($0 as? HandoffError)?.reason.contains("0755") == true
        }
        #expect(chmod(directory.path, 0o700) == 0)
        #expect(chown(directory.path, 4242, 4242) == 0)
        #expect { _ = try DirectoryStore(directory: directory.path) } throws: {
            ($0 as? HandoffError)?.reason.contains("uid 4242") == true
        }
        let file = directory.parent + "/file"
        #expect(FileManager.default.createFile(atPath: file, contents: Data()))
        #expect { _ = try DirectoryStore(directory: file + "/store") } throws: {
            let error = $0 as? HandoffError
            return error?.code == .storeFailed && error?.errno == Errno(ENOTDIR) && error?.reason.contains("mkdir(\(file)/store)") == true
        }
        #expect(DirectoryStore.defaultDirectory(for: "my/daemon").hasSuffix("/my_daemon"))
    }

    /// Writes `bytes` over the file at `path` and keeps its mtime (the store's expiry), as
    /// damage on disk would.
    private func flipInPlace(_ path: String, _ bytes: [UInt8]) throws {
        var info = stat()
        #expect(stat(path, &info) == 0)
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } == bytes.count)
        var times = [info.st_atim, info.st_mtim]
        #expect(futimens(fd, &times) == 0)
    }
}
