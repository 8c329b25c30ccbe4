#if DEBUG  // test support: built for the tests only (see Package.swift)
import Foundation
@testable import HandoffSystem

/// Files under the repository's `Fixtures/` folder, found from this source file's path.
enum FixtureFiles {
    /// The `Fixtures` folder.
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.lastPathComponent != "Tests" { url.deleteLastPathComponent() }
        return url.deletingLastPathComponent().appendingPathComponent("Fixtures")
    }()

    /// `Fixtures/<path>`.
    static func url(_ path: String) -> URL { root.appendingPathComponent(path) }
}
#endif
