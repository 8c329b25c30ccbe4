// posix_spawn with the attributes an upgrade needs: attributes and file actions are macros and
// opaque structs that Swift cannot build portably.
#define _GNU_SOURCE
#include "CHandoff.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <unistd.h>

int chandoff_spawn(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                   int control_fd) {
    // adddup2(fd, fd) would leave close-on-exec set on older glibc: move the fd out of the way.
    int source = control_fd;
    if (control_fd == 3) {
        source = fcntl(control_fd, F_DUPFD_CLOEXEC, 10);
        if (source < 0) return errno;
    }
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) goto done_nothing;
    rc = posix_spawnattr_init(&attributes);
    if (rc != 0) goto done_actions;

    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    if ((rc = posix_spawnattr_setsigmask(&attributes, &none)) != 0) goto done;
    if ((rc = posix_spawnattr_setsigdefault(&attributes, &all)) != 0) goto done;
    if ((rc = posix_spawnattr_setflags(&attributes,
                                       POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) != 0)
        goto done;
    if (source >= 0) {
        if ((rc = posix_spawn_file_actions_adddup2(&actions, source, 3)) != 0) goto done;
    }
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
    // Close everything above the control channel, even descriptors the application forgot
    // to mark close-on-exec.
    if ((rc = posix_spawn_file_actions_addclosefrom_np(&actions, source >= 0 ? 4 : 3)) != 0)
        goto done;
#else
#error "Handoff needs glibc 2.34 or newer (posix_spawn_file_actions_addclosefrom_np)"
#endif
    rc = posix_spawn(pid, path, &actions, &attributes, argv, envp);
done:
    posix_spawnattr_destroy(&attributes);
done_actions:
    posix_spawn_file_actions_destroy(&actions);
done_nothing:
    if (source != control_fd) close(source);
    return rc;
}

int chandoff_pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    errno = ENOSYS;
    return -1;
#endif
}

#include <fcntl.h>
#include <stdio.h>

int chandoff_rename_noreplace(const char *from, const char *to) {
    return renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE);
}
