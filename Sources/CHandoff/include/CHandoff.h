// C shims for what Swift cannot reach directly: the CMSG_* macros (SCM_RIGHTS and
// SCM_CREDENTIALS), posix_spawn attributes and file actions, and the SSE4.2 CRC32C instruction.
// Each function reports failure the way the system call it wraps does: -1 (or an errno value
// where the function says so) with errno set.
#ifndef CHANDOFF_H
#define CHANDOFF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/types.h>

// <sys/epoll.h> and <sys/eventfd.h> are not in Glibc's Swift module map; including them here
// makes epoll_create1(2), epoll_ctl(2), epoll_wait(2), struct epoll_event and eventfd(2)
// available to Swift code that imports CHandoff.

/// The most descriptors one message carries (the kernel's SCM_MAX_FD is 253).
#define CHANDOFF_MAX_FDS_PER_MESSAGE 252

/// sendmsg(2) of `len` bytes with `nfds` descriptors attached as SCM_RIGHTS, with MSG_NOSIGNAL.
/// Returns the bytes sent or -1 with errno set.
ssize_t chandoff_send_with_fds(int socket, const void *buffer, size_t length,
                               const int *fds, int nfds);

/// What one recvmsg(2) brought besides bytes.
typedef struct {
    int fd_count;        // descriptors stored into the caller's array
    int truncated;       // MSG_CTRUNC: the kernel dropped ancillary data that did not fit
    int has_credentials; // an SCM_CREDENTIALS message was present
    pid_t pid;           // the sender, as the kernel vouches for it
    uid_t uid;
    gid_t gid;
} chandoff_received;

/// recvmsg(2) with MSG_CMSG_CLOEXEC into `buffer`, collecting up to `max_fds` SCM_RIGHTS
/// descriptors and the sender's SCM_CREDENTIALS. Returns the bytes read (0 at end of stream)
/// or -1 with errno set. Descriptors that arrived are stored even when `truncated` is set; the
/// caller owns them.
ssize_t chandoff_receive(int socket, void *buffer, size_t length, int *fds, int max_fds,
                         chandoff_received *out);

/// setsockopt(SO_PASSCRED, 1): the kernel attaches the sender's credentials to what we read.
int chandoff_enable_credentials(int socket);

/// getsockopt(SO_PEERCRED). Returns 0 or -1 with errno set.
int chandoff_peer_credentials(int socket, pid_t *pid, uid_t *uid, gid_t *gid);

/// posix_spawn(3) of `path` with `control_fd` as the child's descriptor 3 and no other
/// descriptor above 2 inherited (close-on-exec or not), the signal mask emptied and every
/// signal's disposition reset to its default. Returns 0 or an errno value.
int chandoff_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                   int control_fd);

/// accept4(2), which glibc declares only under _GNU_SOURCE.
int chandoff_accept4(int socket, void *address, unsigned int *length, int flags);

/// renameat2(2) with RENAME_NOREPLACE: moves `from` to `to` unless `to` exists (then -1 with
/// errno EEXIST). Returns 0 or -1 with errno set.
int chandoff_rename_noreplace(const char *from, const char *to);

/// Installs a handler for `signal` (sigaction, SA_RESTART) that writes the signal's number as
/// one byte to a process-wide pipe, and returns the pipe's read end (close-on-exec,
/// non-blocking; the same for every signal). Unlike SIG_IGN plus signalfd, a handled signal is
/// never discarded, whichever thread blocks what. Returns -1 with errno set on failure.
int chandoff_signal_pipe(int signal);

/// The read end of that pipe, made if need be, with no handler installed; -1 with errno set.
int chandoff_signal_pipe_read_end(void);

/// Installs a handler for each of `signals` (sigaction, SA_RESTART, SA_NOCLDSTOP) that writes
/// the signal's number as one byte to the keeper's own pipe (not the one above), unblocks them
/// in the calling thread, and returns the pipe's read end (close-on-exec, non-blocking).
/// Returns -1 with errno set on failure.
int chandoff_keeper_signal_pipe(const int *signals, int count);

/// prctl(PR_SET_CHILD_SUBREAPER, 1): orphaned descendants are reparented to this process
/// rather than to init. Returns 0 or -1 with errno set.
int chandoff_set_child_subreaper(void);

/// waitid(P_ALL, WEXITED | WNOHANG | WNOWAIT): names a child that has exited without reaping it.
/// Returns 1 and stores its pid, 0 if no child has exited (or there is none), -1 with errno set.
int chandoff_peek_exited_child(pid_t *pid);

/// pidfd_open(2): a descriptor that becomes readable when process `pid` exits (Linux 5.3+).
int chandoff_pidfd_open(pid_t pid);

/// eventfd(2) with EFD_CLOEXEC | EFD_NONBLOCK: a counter to wake a poll(2) from another thread.
int chandoff_eventfd(void);

/// memfd_create(2) with MFD_CLOEXEC | MFD_ALLOW_SEALING. Returns the descriptor or -1.
int chandoff_memfd_create(const char *name);

/// Seals a memfd against every change (shrink, grow, write, further seals). Returns 0 or -1.
int chandoff_memfd_seal(int fd);

/// CRC32C (Castagnoli), continuing from `crc` (start with 0). Uses SSE4.2 where the CPU has it.
uint32_t chandoff_crc32c(uint32_t crc, const void *data, size_t length);

#endif
