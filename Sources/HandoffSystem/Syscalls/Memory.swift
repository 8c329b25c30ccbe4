#if canImport(Glibc)
import Glibc
#endif

/// The C library's memory functions the encoders and parsers use, inlined into their callers
/// (they sit in the tightest loops of the state codec and the HTTP parser).
public enum Memory {
    /// malloc(3); traps when memory is exhausted.
    @inlinable
    public static func allocate(_ count: Int) -> UnsafeMutableRawPointer {
        guard let pointer = malloc(count) else { fatalError("out of memory allocating \(count) bytes") }
        return pointer
    }

    /// realloc(3); traps when memory is exhausted.
    @inlinable
    public static func reallocate(_ pointer: UnsafeMutableRawPointer?, _ count: Int) -> UnsafeMutableRawPointer {
        guard let grown = realloc(pointer, count) else { fatalError("out of memory growing a buffer to \(count) bytes") }
        return grown
    }

    /// free(3).
    @inlinable
    public static func release(_ pointer: UnsafeMutableRawPointer?) {
        free(pointer)
    }

    /// memmove(3): `count` bytes from `source` to `destination`, which may overlap.
    @inlinable
    public static func move(_ destination: UnsafeMutableRawPointer, from source: UnsafeRawPointer, count: Int) {
        memmove(destination, source, count)
    }

    /// memcmp(3).
    @inlinable
    public static func compare(_ left: UnsafeRawPointer, _ right: UnsafeRawPointer, count: Int) -> Int32 {
        memcmp(left, right, count)
    }

    /// memchr(3): the first `byte` in `count` bytes from `start`.
    @inlinable
    public static func find(_ byte: UInt8, in start: UnsafeRawPointer, count: Int) -> UnsafeRawPointer? {
        UnsafeRawPointer(memchr(start, CInt(byte), count))
    }
}
