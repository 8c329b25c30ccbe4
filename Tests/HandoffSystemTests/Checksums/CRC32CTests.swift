import Testing
@testable import HandoffSystem
@testable import HandoffTestSupport

/// The checksum every frame and envelope carries.
@Suite("CRC32C", .offCooperativePool)
struct CRC32CTests {
    @Test("CRC32C gives the standard check value for \"123456789\"")
    func checkValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        // Continuing across a split gives the same result as one pass.
        let bytes = Array("123456789".utf8)
        #expect(CRC32C.checksum(bytes[4...], continuing: CRC32C.checksum(bytes[..<4])) == 0xE306_9283)
    }
}
