#!/usr/bin/env python3
"""A control-channel peer we did not write in Swift: standard-library Python only.

It speaks the Handoff control protocol from scratch (frames, CRC32C, FDS records, descriptors
through socket.send_fds) and breaks it on purpose, so the tests prove the Swift side refuses a
hostile peer with a typed error and serves on.

  handoff_peer.py child SCENARIO
      Run as the new binary (fd 3 is the control channel to the old process, which spawned it).
      impostor          a forked grandchild, not the spawned process, says HELLO
      wrong-pid         HELLO names a pid that is not the sender's
      sends-fds         HELLO, then an FDS frame carrying descriptors to the old process
      over-cap          HELLO, then a frame header announcing more than the 64 MiB cap
      too-many-fds      HELLO, then one message carrying 253 descriptors (the kernel's most)

  handoff_peer.py parent SCENARIO PROGRAM [ARGS...]
      Run as the old process: spawn PROGRAM as a successor on a socket pair and, after its HELLO:
      wrong-kind        an FDS record "listener" whose descriptor is a regular file
      too-many-fds      an FDS frame naming one record with two descriptors attached
      ctrunc            one message carrying 253 descriptors (more than a frame may: 252)
      over-cap          a frame header announcing more than the 64 MiB cap
      bad-checksum      an FDS_END frame with a wrong CRC32C
    Prints "peer scenario=S status=N said=LINE": the successor's exit status and its last line.
"""
import os
import select
import socket
import struct
import sys
import time

MAGIC = b"HOFF"
VERSION = 1
HELLO, FDS, FDS_END, READY = 1, 2, 3, 4
CAP = 64 << 20
LISTENER, FILE = 1, 4
MAX_FDS = 253  # SCM_MAX_FD: the most descriptors one sendmsg may carry


def send_end(ours):
    """FDS_END after a bad FDS frame; the successor may have refused that frame and closed the
    channel already, which is what the test wants to see, not a failure of the peer."""
    try:
        ours.sendall(frame(FDS_END))
    except (BrokenPipeError, ConnectionResetError):
        pass


def crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


TABLE = crc32c_table()


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def frame(kind, payload=b"", flags=0, corrupt=False):
    head = MAGIC + struct.pack(">BBHI", VERSION, kind, flags, len(payload)) + payload
    crc = crc32c(head) ^ (1 if corrupt else 0)
    return head + struct.pack(">I", crc)


def string(text):
    data = text.encode()
    return struct.pack(">H", len(data)) + data


def hello(pid):
    return frame(HELLO, struct.pack(">I", pid & 0xFFFFFFFF) + string("python-peer"))


def fds_payload(records):
    out = struct.pack(">H", len(records))
    for kind, name in records:
        out += struct.pack(">B", kind) + string(name) + string("") + struct.pack(">I", 0)
    return out


def read_frame(sock, deadline=10.0):
    """One frame (type, payload), reading exactly what it needs; None at end of stream."""
    sock.settimeout(deadline)
    buf = b""
    while len(buf) < 12:
        chunk = sock.recv(12 - len(buf))
        if not chunk:
            return None
        buf += chunk
    if buf[:4] != MAGIC:
        raise ValueError("bad magic %r" % buf[:4])
    _, kind, _, length = struct.unpack(">BBHI", buf[4:12])
    rest = b""
    while len(rest) < length + 4:
        chunk = sock.recv(length + 4 - len(rest))
        if not chunk:
            return None
        rest += chunk
    return kind, rest[:length]


def devnull_fds(count):
    return [os.open("/dev/null", os.O_RDONLY) for _ in range(count)]


def child(scenario):
    sock = socket.socket(fileno=3)
    if scenario == "impostor":
        pid = os.fork()
        if pid == 0:
            # The grandchild: a process the old one never spawned, with its own pid in HELLO.
            sock.sendall(hello(os.getpid()))
            os._exit(0)
        os.waitpid(pid, 0)
    elif scenario == "wrong-pid":
        sock.sendall(hello(1))
    elif scenario == "sends-fds":
        sock.sendall(hello(os.getpid()))
        fds = devnull_fds(2)
        socket.send_fds(sock, [frame(FDS, fds_payload([(FILE, "a"), (FILE, "b")]))], fds)
    elif scenario == "over-cap":
        sock.sendall(hello(os.getpid()))
        sock.sendall(MAGIC + struct.pack(">BBHI", VERSION, READY, 0, CAP + 1))
    elif scenario == "too-many-fds":
        sock.sendall(hello(os.getpid()))
        fds = devnull_fds(MAX_FDS)
        socket.send_fds(sock, [frame(FDS, fds_payload([(FILE, "x")]))], fds)
    else:
        sys.exit("unknown child scenario " + scenario)
    # Stay until the old process gives up on us (it kills us, or closes the channel).
    select.select([sock], [], [], 30)
    time.sleep(30)


def parent(scenario, argv):
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    env = dict(os.environ, HANDOFF_CONTROL_FD="3", HANDOFF_GENERATION="2")
    out_read, out_write = os.pipe()
    actions = [(os.POSIX_SPAWN_DUP2, theirs.fileno(), 3), (os.POSIX_SPAWN_DUP2, out_write, 1)]
    pid = os.posix_spawn(argv[0], argv, env, file_actions=actions)
    theirs.close()
    os.close(out_write)
    try:
        return misbehave(scenario, ours, pid, out_read)
    finally:
        # Whatever happened here, no successor outlives the peer.
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def misbehave(scenario, ours, pid, out_read):
    first = read_frame(ours)
    if first is None or first[0] != HELLO:
        print("peer scenario=%s status=no-hello said=" % scenario, flush=True)
        return 1
    if scenario == "wrong-kind":
        file_fd = os.open("/dev/null", os.O_RDONLY)
        socket.send_fds(ours, [frame(FDS, fds_payload([(LISTENER, "main")]))], [file_fd])
        send_end(ours)
    elif scenario == "too-many-fds":
        socket.send_fds(ours, [frame(FDS, fds_payload([(FILE, "one")]))], devnull_fds(2))
        send_end(ours)
    elif scenario == "ctrunc":
        socket.send_fds(ours, [frame(FDS, fds_payload([(FILE, "one")]))], devnull_fds(MAX_FDS))
        send_end(ours)
    elif scenario == "over-cap":
        ours.sendall(MAGIC + struct.pack(">BBHI", VERSION, FDS, 0, CAP + 1))
    elif scenario == "bad-checksum":
        ours.sendall(frame(FDS_END, corrupt=True))
    else:
        sys.exit("unknown parent scenario " + scenario)

    # The successor must refuse and exit; collect what it said.
    said = b""
    deadline = time.monotonic() + 20
    status = None
    while time.monotonic() < deadline:
        ready, _, _ = select.select([out_read], [], [], 0.05)
        if ready:
            chunk = os.read(out_read, 65536)
            said += chunk
        done, code = os.waitpid(pid, os.WNOHANG)
        if done:
            status = os.waitstatus_to_exitcode(code)
            break
    if status is None:
        status = "timeout"
    while True:
        ready, _, _ = select.select([out_read], [], [], 0)
        if not ready:
            break
        chunk = os.read(out_read, 65536)
        if not chunk:
            break
        said += chunk
    lines = [line for line in said.decode(errors="replace").splitlines() if line.strip()]
    print("peer scenario=%s status=%s said=%s" % (scenario, status, lines[-1] if lines else ""), flush=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "child":
        child(sys.argv[2])
    elif len(sys.argv) >= 4 and sys.argv[1] == "parent":
        sys.exit(parent(sys.argv[2], sys.argv[3:]))
    else:
        sys.exit(__doc__)
