import Foundation
import Testing
import HandoffTesting
@testable import Handoff
@testable import HandoffSystem
@testable import HandoffEtcd
@testable import HandoffTestSupport
@testable import HandoffCoreTestSupport
@testable import HandoffEtcdTestSupport

/// The users' conformance suite (HandoffTesting) against the etcd store: the second store
/// the suite is held to, besides the directory store of its own tests.
@Suite("EtcdStore conformance", .offCooperativePool)
struct EtcdConformanceTests {
    @Test("an EtcdStore, with a second client on the same prefix as the other process, keeps every promise", .timeLimit(.minutes(2)))
    func etcdStoreConforms() async throws {
        let server = try await EtcdTestServer.shared()
        var configuration = EtcdConfiguration(endpoints: [server.endpoint])
        configuration.keyPrefix = "/conformance-\(UUID().uuidString.prefix(8))"
        let settings = configuration
        let options = HandoffStoreConformance.Options(expiryTTL: .seconds(1), notifies: true)
        let suite = HandoffStoreConformance(options: options, makePeer: { _ in try EtcdStore(configuration: settings) }) {
            try EtcdStore(configuration: settings)
        }
        let report = try await suite.run()
        #expect(report.passed == HandoffStoreConformance.Property.allCases.map(\.rawValue), "\(report)")
    }
}
