import Handoff
import HandoffSystem
/// How well a service is doing, with the reason when it is not fine.
public struct ServiceHealth: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The three levels, worst last.
    public enum Status: String, Sendable, Hashable, Codable, Comparable, CaseIterable {
        /// Works as intended.
        case healthy
        /// Works, but worse (a dependency is slow, a fallback is in use).
        case degraded
        /// Does not work.
        case unhealthy

        public static func < (lhs: Status, rhs: Status) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    /// The level.
    public var status: Status
    /// Why, when not healthy.
    public var reason: String?

    /// Creates a health report.
    /// - Parameters:
    ///   - status: The level.
    ///   - reason: Why, when not healthy.
    public init(_ status: Status, reason: String? = nil) {
        self.status = status
        self.reason = reason
    }

    /// Healthy, no reason.
    public static let healthy = ServiceHealth(.healthy)

    /// Degraded, for `reason`.
    /// - Parameter reason: What is wrong.
    /// - Returns: The report.
    public static func degraded(_ reason: String) -> ServiceHealth { ServiceHealth(.degraded, reason: reason) }

    /// Unhealthy, for `reason`.
    /// - Parameter reason: What is wrong.
    /// - Returns: The report.
    public static func unhealthy(_ reason: String) -> ServiceHealth { ServiceHealth(.unhealthy, reason: reason) }

    public var description: String { reason.map { "\(status.rawValue) (\($0))" } ?? status.rawValue }
}
