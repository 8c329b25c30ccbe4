import FoundationEssentials
import Handoff
import HandoffEtcd
import HandoffSystem
import HandoffServices
import HandoffOperations

/// `offers --store URL [--label LABEL]`: the state waiting in a store.
enum OffersCommand {
    static func run(_ arguments: CtlArguments) async throws -> String {
        try arguments.check(allowed: ["--store", "--label"], operands: 0...0)
        guard let url = arguments.values["--store"] else {
            throw CtlArguments.UsageError(description: "offers needs --store dir:PATH or --store etcd://HOST:PORT")
        }
        var offers: [PendingOffer]
        do {
            // etcd stores live in HandoffEtcd (FoundationNetworking stays out of Handoff).
            let store: any HandoffStore = url.hasPrefix("etcd://") || url.hasPrefix("etcds://")
                ? try EtcdStore(configuration: EtcdConfiguration(parsing: url))
                : try StoreURL.open(url)
            guard let listing = store as? any OfferListing else {
                throw HandoffError(.unsupported, "\(url): this store cannot list its offers")
            }
            offers = try await listing.pendingOffers()
        } catch let error as HandoffError {
            let status: CtlExit = error.code == .invalidArgument ? .usage : .unavailable
            throw CtlFailure(status: status, message: "\(error)", json: ["ok": .bool(false), "error": ControlCommands.failure(error)])
        }
        if let label = arguments.values["--label"] { offers = offers.filter { $0.header?.label == label } }
        if arguments.json { return JSONValue.object(["ok": .bool(true), "offers": .array(offers.map(json))]).text }
        guard !offers.isEmpty else { return "no offers" }
        return offers.map(text).joined(separator: "\n")
    }

    static func expiry(_ offer: PendingOffer) -> String? {
        offer.expiresAtNanoseconds.map { Date(timeIntervalSince1970: Double($0) / 1e9).ISO8601Format() }
    }

    static func text(_ offer: PendingOffer) -> String {
        var parts = [offer.state.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)]
        if let header = offer.header {
            parts.append("\(header.label)/\(header.key) v\(header.stateVersion) \(header.payloadLength) bytes from pid \(header.producer.pid)@\(header.producer.host)")
        } else {
            parts.append("unreadable: \(offer.problem ?? "?")")
        }
        if let claimer = offer.claimer { parts.append("claimer pid \(claimer)") }
        if let expiry = expiry(offer) { parts.append("expires \(expiry)") }
        parts.append("(\(offer.location))")
        return parts.joined(separator: "  ")
    }

    static func json(_ offer: PendingOffer) -> JSONValue {
        var object: [String: JSONValue] = [
            "state": .string(offer.state.rawValue),
            "location": .string(offer.location),
            "claimer": .optional(offer.claimer.map(Int.init)),
            "expiresAt": .optional(expiry(offer)),
            "problem": .optional(offer.problem),
        ]
        if let header = offer.header {
            object["label"] = .string(header.label)
            object["key"] = .string(header.key)
            object["version"] = .int(header.stateVersion)
            object["payloadLength"] = .int(header.payloadLength)
            object["producer"] = .object(["pid": .int(Int(header.producer.pid)), "host": .string(header.producer.host), "build": .string(header.producer.build)])
        }
        return .object(object)
    }
}
