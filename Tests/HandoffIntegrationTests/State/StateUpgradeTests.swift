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

/// Handoff state through real upgrades and restarts of the fixture: its answer count is state.
@Suite("State across upgrades and restarts", .serialized, .offCooperativePool)
struct StateUpgradeTests {
    /// A store directory that does not exist yet: the store makes it, mode 0700.
    private static func temporaryDirectory() throws -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("handoff-state-\(UUID().uuidString.prefix(8))")
    }

    @Test("after K answers, however many upgrades, the next answer is K+1", .timeLimit(.minutes(1)))
    func countSurvivesUpgrades() throws {
        let fixture = try FixtureProcess()
        let port = try fixture.port()
        try fixture.waitFor("restored", generation: 1)
        for expected in 1...3 { #expect(try Client.count(port: port).count == expected) }
        for generation in 2...4 {
            try fixture.signal(SIGHUP, generation: generation - 1)
            try fixture.waitFor("event took-over", generation: generation)
            let restored = try fixture.waitFor("restored", generation: generation)
            #expect(restored.text.contains("restored([\"fixture.counter/\", \"fixture.note/\"])"), "\(restored.text)")
            let answer = try Client.count(port: port)
            #expect(answer.who.hasSuffix("generation=\(generation)"))
            #expect(answer.count == generation + 2)
        }
    }

    @Test("a successor that cannot read the state refuses it, and the parent serves on with it intact", .timeLimit(.minutes(1)))
    func refusedStateRollsBack() throws {
        let fixture = try FixtureProcess(environment: ["FIXTURE_STATE_VERSION": "2"], plan: "old-reader")
        let port = try fixture.port()
        try fixture.waitFor("restored", generation: 1)
        #expect(try Client.count(port: port).count == 1)
        #expect(try Client.count(port: port).count == 2)
        try fixture.signal(SIGHUP, generation: 1)
        let failed = try fixture.waitFor("event upgrade-failed", generation: 1)
        #expect(failed.text.contains("childRefused"))
        #expect(failed.text.contains("newerVersion"))
        let answer = try Client.count(port: port)
        #expect(answer.who.hasSuffix("generation=1"))
        #expect(answer.count == 3)

        try fixture.setPlan("ready")
        let mark = fixture.lineCount
        try fixture.signal(SIGHUP, generation: 1)
        try fixture.waitFor("event took-over", after: mark, generation: 2)
        #expect(try Client.count(port: port).count == 4)
    }

    @Test("a parent killed mid-STATE leaves the child applying nothing partial; it falls back to the store", .timeLimit(.minutes(1)))
    func parentDiesMidState() throws {
        let store = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: store) }
        let fixture = try FixtureProcess(environment: ["FIXTURE_STATE_DIR": store.path], plan: "fault old:mid-state:kill")
        let port = try fixture.port()
        try fixture.waitFor("restored", generation: 1)
        #expect(try Client.count(port: port).count == 1)
        #expect(try Client.count(port: port).count == 2)
        let parent = try fixture.pid(ofGeneration: 1)
        try fixture.signal(SIGHUP, generation: 1)
        let lost = try fixture.waitFor("event predecessor-lost", generation: 2)
        #expect(lost.text.contains("before it finished handing over"))
        try fixture.waitUntilGone(parent)
        // The counter's envelope arrived whole before the parent died, and was still not applied.
        let restored = try fixture.waitFor("restored", generation: 2)
        #expect(restored.text.contains("nothingToRestore count=0"), "\(restored.text)")
        let answer = try Client.count(port: port)
        #expect(answer.who.hasSuffix("generation=2"))
        #expect(answer.count == 1)
    }

    @Test("a stop offers the state to the directory store, and the next start claims it exactly once", .timeLimit(.minutes(1)))
    func stopAndStart() throws {
        let store = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: store) }
        do {
            let first = try FixtureProcess(environment: ["FIXTURE_STATE_DIR": store.path])
            let port = try first.port()
            try first.waitFor("restored", generation: 1)
            for expected in 1...3 { #expect(try Client.count(port: port).count == expected) }
            try first.signal(SIGTERM, generation: 1)
            try first.waitFor("stopped count=3", generation: 1)
        }
        let second = try FixtureProcess(environment: ["FIXTURE_STATE_DIR": store.path])
        let restored = try second.waitFor("restored", generation: 1)
        #expect(restored.text.contains("count=3"), "\(restored.text)")
        #expect(try Client.count(port: try second.port()).count == 4)

        // Claimed and committed: a third start finds nothing.
        try second.signal(SIGKILL, generation: 1)
        let third = try FixtureProcess(environment: ["FIXTURE_STATE_DIR": store.path])
        let nothing = try third.waitFor("restored", generation: 1)
        #expect(nothing.text.contains("nothingToRestore"), "\(nothing.text)")
    }

    @Test("a store that cannot take the state makes the stop fail with a typed error; the process serves on", .timeLimit(.minutes(1)))
    func unwritableStore() throws {
        let store = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: store) }
        let fixture = try FixtureProcess(environment: ["FIXTURE_STATE_DIR": store.path])
        let port = try fixture.port()
        try fixture.waitFor("restored", generation: 1)
        #expect(try Client.count(port: port).count == 1)
        // Take the directory away and put a plain file in its place.
        try FileManager.default.removeItem(at: store)
        #expect(FileManager.default.createFile(atPath: store.path, contents: Data("not a directory".utf8)))
        try fixture.signal(SIGTERM, generation: 1)
        let failed = try fixture.waitFor("shutdown-failed", generation: 1)
        #expect(failed.text.contains("storeFailed"), "\(failed.text)")
        #expect(try Client.count(port: port).count == 2)
    }
}
