// The system layer's types that are part of the core's public API, so that `import Handoff`
// is all a user writes. Everything else in HandoffSystem is `package`.
@_exported import struct HandoffSystem.HandoffError
@_exported import struct HandoffSystem.Errno
@_exported import enum HandoffSystem.SocketEndpoint
