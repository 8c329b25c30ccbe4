import HandoffSystem

/// Opens a ``HandoffStore`` from the URL an operator writes: the one place that maps store
/// URLs to stores, for `handoffctl offers --store` and programs' own options.
///
/// - `dir:PATH`: a ``DirectoryStore`` in an existing directory.
/// - `etcd://HOST:PORT`: an etcd cluster. That store lives in the `HandoffEtcd` module (it needs
///   FoundationNetworking, which this module does not load): open it with
///   `EtcdStore(configuration: EtcdConfiguration(parsing: url))`; here the URL is refused with
///   ``HandoffError/Code/unsupported``. `handoffctl` opens both.
package enum StoreURL {
    /// The store `url` names.
    /// - Parameter url: `dir:PATH` or `etcd://HOST:PORT`.
    /// - Throws: ``HandoffError``: ``HandoffError/Code/invalidArgument`` for a URL of no known
    ///   form; ``HandoffError/Code/storeFailed`` for a directory that does not exist or is not
    ///   a private store; ``HandoffError/Code/unsupported`` for a store this build lacks.
    package static func open(_ url: String) throws -> any HandoffStore {
        if url.hasPrefix("dir:") {
            let path = String(url.dropFirst(4))
            guard !path.isEmpty, Syscall.status(ofPath: path)?.kind == .directory else {
                throw HandoffError(.storeFailed, "no store directory at \(path.debugDescription)")
            }
            return try DirectoryStore(directory: path)
        }
        if url.hasPrefix("etcd://") {
            throw HandoffError(.unsupported, "\(url): etcd stores live in HandoffEtcd: open them with EtcdStore(configuration: EtcdConfiguration(parsing:))")
        }
        throw HandoffError(.invalidArgument, "store URL \(url.debugDescription) is neither dir:PATH nor etcd://HOST:PORT")
    }
}
