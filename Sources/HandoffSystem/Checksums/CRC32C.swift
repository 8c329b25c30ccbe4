import CHandoff

/// CRC32C (Castagnoli), the checksum of frames and envelopes.
///
/// The check value for the ASCII bytes `"123456789"` is `0xE3069283`. The work is done in C with
/// the SSE4.2 `crc32` instruction where the CPU has it, slicing-by-8 tables where it does not.
package enum CRC32C {
    /// The checksum of `bytes`, continuing from `crc` (start with 0).
    package static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        chandoff_crc32c(crc, bytes.baseAddress, bytes.count)
    }

    /// The checksum of a byte collection, continuing from `crc` (start with 0).
    package static func checksum<Bytes: Collection<UInt8>>(_ bytes: Bytes, continuing crc: UInt32 = 0) -> UInt32 {
        if let result = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0), continuing: crc) }) {
            return result
        }
        return Array(bytes).withUnsafeBytes { checksum($0, continuing: crc) }
    }
}
