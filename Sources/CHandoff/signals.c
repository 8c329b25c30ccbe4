// Signals through a self-pipe: the handler only write(2)s, which is async-signal-safe.
#define _GNU_SOURCE
#include "CHandoff.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static int pipe_fds[2] = {-1, -1};
static int pipe_error = 0;
static pthread_once_t pipe_once = PTHREAD_ONCE_INIT;

static void make_pipe(void) {
    if (pipe2(pipe_fds, O_CLOEXEC | O_NONBLOCK) != 0) pipe_error = errno;
}

static void handler(int signal) {
    int saved = errno;
    unsigned char byte = (unsigned char)signal;
    // A full pipe drops the byte: that many signals are pending already.
    ssize_t ignored = write(pipe_fds[1], &byte, 1);
    (void)ignored;
    errno = saved;
}

int chandoff_signal_pipe(int signal) {
    pthread_once(&pipe_once, make_pipe);
    if (pipe_fds[0] < 0) {
        errno = pipe_error;
        return -1;
    }
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = handler;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    if (sigaction(signal, &action, NULL) != 0) return -1;
    return pipe_fds[0];
}

int chandoff_signal_pipe_read_end(void) {
    pthread_once(&pipe_once, make_pipe);
    if (pipe_fds[0] < 0) errno = pipe_error;
    return pipe_fds[0];
}
