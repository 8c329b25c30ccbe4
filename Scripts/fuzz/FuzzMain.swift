// libFuzzer's entry points for the Handoff fuzz build (Scripts/fuzz/run.sh). The target is
// chosen by HANDOFF_FUZZ_TARGET; its logic is Tests/HandoffIntegrationTests/Fuzz/FuzzTargets.swift.
@testable import Handoff
@testable import HandoffEtcd
#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) var fuzzTarget: (@Sendable ([UInt8]) -> Void)?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    if let directory = getenv("HANDOFF_FUZZ_SEEDS").map({ String(cString: $0) }) {
        exit(writeSeeds(to: directory))
    }
    let name = getenv("HANDOFF_FUZZ_TARGET").map { String(cString: $0) } ?? ""
    guard let target = FuzzTargets.all[name] else {
        complain("HANDOFF_FUZZ_TARGET must be one of \(FuzzTargets.all.keys.sorted())\n")
        exit(2)
    }
    fuzzTarget = target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzTarget?(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

/// Writes FuzzSeeds into `directory`/<target>/seed-<n>; returns the exit status.
func writeSeeds(to directory: String) -> CInt {
    do {
        for (target, seeds) in try FuzzSeeds.all() {
            let folder = directory + "/" + target
            mkdir(folder, 0o755)
            for (index, seed) in seeds.enumerated() {
                guard let file = fopen(folder + "/seed-\(index)", "wb") else { return 1 }
                _ = seed.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
                fclose(file)
            }
        }
        return 0
    } catch {
        complain("seeds: \(error)\n")
        return 1
    }
}

func complain(_ text: String) {
    _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
}
