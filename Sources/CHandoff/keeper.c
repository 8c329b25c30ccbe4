// What the keeper (Sources/Handoff/Keeper) needs from C: its own signal pipe, prctl(2), which is
// variadic, and waitid(2)'s siginfo_t, whose fields sit in unions Swift reads awkwardly.
#define _GNU_SOURCE
#include "CHandoff.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

// The keeper's pipe is not the one TrappedSignals reads: an application may have trapped
// signals before it created the Upgrader, and that reader must not take the keeper's bytes.
static int keeper_pipe[2] = {-1, -1};

static void keeper_handler(int signal) {
    int saved = errno;
    unsigned char byte = (unsigned char)signal;
    // A full pipe drops the byte: that many signals are pending already.
    ssize_t ignored = write(keeper_pipe[1], &byte, 1);
    (void)ignored;
    errno = saved;
}

int chandoff_keeper_signal_pipe(const int *signals, int count) {
    if (keeper_pipe[0] < 0 && pipe2(keeper_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return -1;
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = keeper_handler;
    action.sa_flags = SA_RESTART | SA_NOCLDSTOP;
    sigfillset(&action.sa_mask);
    for (int index = 0; index < count; index++) {
        if (sigaction(signals[index], &action, NULL) != 0) return -1;
    }
    // Any thread may run the handler: none may keep these signals blocked.
    sigset_t set;
    sigemptyset(&set);
    for (int index = 0; index < count; index++) sigaddset(&set, signals[index]);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    return keeper_pipe[0];
}

int chandoff_set_child_subreaper(void) {
    return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
}

int chandoff_peek_exited_child(pid_t *pid) {
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
        if (errno == ECHILD) return 0;
        return -1;
    }
    if (info.si_pid == 0) return 0;
    *pid = info.si_pid;
    return 1;
}
