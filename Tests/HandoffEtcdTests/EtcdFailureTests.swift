import Foundation
import Synchronization
import Testing
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffEtcd
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport
@testable import HandoffEtcdTestSupport

/// An etcd store when things go wrong: a claimer process killed, etcd stopped and started again,
/// authentication. Those that stop etcd have one of their own.
@Suite("EtcdStore failures", .offCooperativePool)
struct EtcdFailureTests {
    @Test("a claimer process killed before commit keeps its claim while alive, loses it when its lease expires, and another claims the offer", .timeLimit(.minutes(1)))
    func killedClaimer() async throws {
        let (store, server, prefix) = try await EtcdStoreTests.store()
        try await store.offer(storeEnvelope(text: "survives a crash"), ttl: nil)
        let holder = try StoreFixtureRun(["claim", server.url + prefix, "sessions", "eu-1", "--hold"])
        #expect(try holder.firstLine() == "claimed survives a crash", "\(holder.stderr)")
        // Its 2 s lease is kept alive: for 2.5 s nobody else gets the offer.
        let window = ContinuousClock.now + .milliseconds(2500)
        while ContinuousClock.now < window {
            #expect(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1) == nil)
            try await Task.sleep(for: .milliseconds(100))  // sampling the window, not waiting for an event
        }

        holder.kill(SIGKILL)
        _ = try await holder.finish()
        let deadline = ContinuousClock.now + .seconds(10)
        var claim: HandoffClaim?
        while claim == nil && ContinuousClock.now < deadline {
            claim = try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1)
            if claim == nil { try await Task.sleep(for: .milliseconds(50)) }  // polling with a deadline
        }
        let taken = try #require(claim, "the offer was not delivered again within 10 s of the claimer's death")
        #expect(taken.envelope.payload == Array("survives a crash".utf8))
        try await store.commit(taken)
        #expect(try await EtcdHTTP.keys(server.endpoint, prefix: prefix + "/").isEmpty)
    }

    @Test("etcd stopped mid-way: storeUnreachable, the fallback directory holds the state; etcd back: offers, claims and watches work again", .timeLimit(.minutes(1)))
    func etcdStopped() async throws {
        try await EtcdTestServer.with(etcdStopped)
    }

    private func etcdStopped(_ server: EtcdTestServer) async throws {
        var configuration = EtcdConfiguration(endpoints: [server.endpoint])
        configuration.requestTimeout = .seconds(2)
        configuration.reconnectDelay = .milliseconds(50)
        let etcd = try EtcdStore(configuration: configuration)
        let directory = try TemporaryStoreDirectory()
        let logged = Mutex<[String]>([])
        let store = FallbackStore(primary: etcd, fallback: try DirectoryStore(directory: directory.path),
                                  log: { line in logged.withLock { $0.append(line) } })

        try await store.offer(storeEnvelope(key: "before", text: "in etcd"), ttl: nil)
        var notifications = etcd.offers(label: "sessions").makeAsyncIterator()
        #expect(await notifications.next()?.key == "before")
        #expect(directory.names().isEmpty)

        await server.stop()
        await #expect { try await etcd.offer(storeEnvelope(key: "direct"), ttl: nil) } throws: { error in
            let error = error as? HandoffError
            return error?.code == .storeUnreachable && error?.reason.contains("nothing was changed") == true
        }
        try await store.offer(storeEnvelope(key: "during", text: "kept here"), ttl: nil)
        #expect(directory.names() == ["sessions+during+offer"])
        #expect(logged.withLock { $0 }.count == 1)
        #expect(logged.withLock { $0 }.first?.contains("offered-to-fallback what=sessions/during") == true)
        // The local offer is claimed while etcd is down; what only etcd has is unreachable.
        let local = try #require(try await store.claim(label: "sessions", key: "during", readerVersion: 1))
        #expect(local.envelope.payload == Array("kept here".utf8))
        try await store.commit(local)
        await #expect { _ = try await store.claim(label: "sessions", key: "before", readerVersion: 1) } throws: {
            ($0 as? HandoffError)?.code == .storeUnreachable
        }

        try await server.run()
        let kept = try #require(try await store.claim(label: "sessions", key: "before", readerVersion: 1))
        #expect(kept.envelope.payload == Array("in etcd".utf8))
        try await store.commit(kept)
        try await store.offer(storeEnvelope(key: "after"), ttl: nil)
        #expect(logged.withLock { $0 }.count == 1, "an offer with etcd back does not fall back")
        #expect(try await EtcdHTTP.keys(server.endpoint, prefix: "/handoff/") == ["/handoff/offers/sessions/after"])
        #expect(directory.names().isEmpty)
        // The watch connected again and resumed after the last revision it saw.
        #expect(await notifications.next()?.key == "after")
    }

    @Test("with authentication enabled: works with credentials (a new token after etcd forgets the old), refused without or with a wrong password", .timeLimit(.minutes(1)))
    func authentication() async throws {
        try await EtcdTestServer.with(authentication)
    }

    private func authentication(_ server: EtcdTestServer) async throws {
        let b64 = EtcdHTTP.base64
        for (path, body) in [
            ("/v3/auth/user/add", #"{"name":"root","password":"rootpw"}"#),
            ("/v3/auth/role/add", #"{"name":"root"}"#),
            ("/v3/auth/user/grant", #"{"user":"root","role":"root"}"#),
            ("/v3/auth/user/add", #"{"name":"app","password":"apppw"}"#),
            ("/v3/auth/role/add", #"{"name":"handoff"}"#),
            ("/v3/auth/role/grant", #"{"name":"handoff","perm":{"permType":"READWRITE","key":"\#(b64("/handoff/"))","range_end":"\#(b64("/handoff0"))"}}"#),
            ("/v3/auth/user/grant", #"{"user":"app","role":"handoff"}"#),
            ("/v3/auth/enable", "{}"),
        ] {
            let answer = try await EtcdHTTP.post(server.endpoint, path, body)
            try #require(answer.status == 200, "\(path): \(answer.body)")
        }

        var configuration = EtcdConfiguration(endpoints: [server.endpoint])
        configuration.credentials = EtcdCredentials(user: "app", password: "apppw")
        let store = try EtcdStore(configuration: configuration)
        try await store.offer(storeEnvelope(text: "secret"), ttl: .seconds(60))
        let claim = try #require(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1))
        #expect(claim.envelope.payload == Array("secret".utf8))

        // etcd forgets simple tokens when it restarts: the store fetches a new one.
        await server.stop()
        try await server.run()
        try await store.commit(claim)
        try await store.offer(storeEnvelope(text: "again"), ttl: nil)

        configuration.credentials = nil
        let anonymous = try EtcdStore(configuration: configuration)
        configuration.credentials = EtcdCredentials(user: "app", password: "wrong")
        let wrong = try EtcdStore(configuration: configuration)
        for refused in [anonymous, wrong] {
            await #expect { _ = try await refused.claim(label: "sessions", key: "eu-1", readerVersion: 1) } throws: {
                ($0 as? HandoffError)?.code == .accessDenied
            }
            await #expect { try await refused.offer(storeEnvelope(key: "other"), ttl: nil) } throws: {
                ($0 as? HandoffError)?.code == .accessDenied
            }
        }
        let again = try #require(try await store.claim(label: "sessions", key: "eu-1", readerVersion: 1))
        #expect(again.envelope.payload == Array("again".utf8))
        try await store.commit(again)
    }
}
