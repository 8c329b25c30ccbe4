#if DEBUG  // test support: built for the tests only (see Package.swift)
/// A failure a test scripts (a service or a child that throws), named by its reason.
struct TestFailure: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}
#endif
