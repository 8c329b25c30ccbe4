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

/// `handoff-mailbox-fixture` in real processes: a mailbox's messages across a real upgrade.
@Suite("Mailbox across a real upgrade", .serialized, .offCooperativePool)
struct MailboxUpgradeTests {
    @Test("10,000 pending messages, two of them held unacknowledged, are all delivered after an upgrade, in order, none twice", .timeLimit(.minutes(1)))
    func tenThousandPending() throws {
        let process = try FixtureProcess(program: "handoff-mailbox-fixture", environment: [
            "FIXTURE_SEND": "10100", "FIXTURE_ACK": "100", "FIXTURE_EXPECT": "10000",
        ])
        let holding = try process.waitFor("holding", generation: 1)
        #expect(holding.text == "holding acked=100 held=100,101 pending=9998")
        try process.waitFor("upgrader ready", generation: 1)
        #expect(kill(holding.pid, SIGHUP) == 0)
        let consumed = try process.waitFor("consumed", generation: 2)
        #expect(consumed.text == "consumed count=10000 first=100 last=10099 ordered=true duplicates=0 redelivered=2")
        try process.waitFor("exit status=0 replaced=true", generation: 1)
        try process.waitUntilGone(holding.pid)
    }

    @Test("an upgrade that rolls back after the state was collected reopens the mailbox: the restarted worker gets the messages it gave back", .timeLimit(.minutes(1)))
    func rollbackReopens() throws {
        let process = try FixtureProcess(program: "handoff-mailbox-fixture", environment: [
            "FIXTURE_SEND": "1000", "FIXTURE_ACK": "100", "FIXTURE_REFUSE_STATE": "1",
        ])
        let holding = try process.waitFor("holding", generation: 1)
        #expect(holding.text == "holding acked=100 held=100,101 pending=898")
        try process.waitFor("upgrader ready", generation: 1)
        #expect(kill(holding.pid, SIGHUP) == 0)
        let failed = try process.waitFor("event upgrade-failed", generation: 1)
        #expect(failed.text.contains("childRefused"))
        // The worker's second life: 100 and 101 come back first, then 102…
        let again = try process.waitForLine { $0.generation == 1 && $0.text.hasPrefix("holding") && $0.text != holding.text }
        #expect(again.text == "holding acked=100 held=200,201 pending=798")
        #expect(again.pid == holding.pid)
    }
}
