// SCM_RIGHTS and SCM_CREDENTIALS over Unix sockets: the CMSG_* macros are not importable.
#define _GNU_SOURCE
#include "CHandoff.h"
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

ssize_t chandoff_send_with_fds(int socket, const void *buffer, size_t length,
                               const int *fds, int nfds) {
    if (nfds < 0 || nfds > CHANDOFF_MAX_FDS_PER_MESSAGE || (nfds > 0 && length == 0)) {
        errno = EINVAL;
        return -1;
    }
    struct iovec iov = {.iov_base = (void *)buffer, .iov_len = length};
    union {
        char buf[CMSG_SPACE(sizeof(int) * CHANDOFF_MAX_FDS_PER_MESSAGE)];
        struct cmsghdr align;
    } control;
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (nfds > 0) {
        memset(&control, 0, sizeof(control));
        msg.msg_control = control.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * nfds);
    }
    return sendmsg(socket, &msg, MSG_NOSIGNAL);
}

ssize_t chandoff_receive(int socket, void *buffer, size_t length, int *fds, int max_fds,
                         chandoff_received *out) {
    memset(out, 0, sizeof(*out));
    out->pid = -1;
    if (max_fds < 0 || max_fds > CHANDOFF_MAX_FDS_PER_MESSAGE) {
        errno = EINVAL;
        return -1;
    }
    struct iovec iov = {.iov_base = buffer, .iov_len = length};
    union {
        char buf[CMSG_SPACE(sizeof(int) * CHANDOFF_MAX_FDS_PER_MESSAGE) +
                 CMSG_SPACE(sizeof(struct ucred))];
        struct cmsghdr align;
    } control;
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.buf;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * max_fds) + CMSG_SPACE(sizeof(struct ucred));
    ssize_t n = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0) return -1;
    out->truncated = (msg.msg_flags & MSG_CTRUNC) != 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET) continue;
        if (c->cmsg_type == SCM_RIGHTS) {
            int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            for (int i = 0; i < count; i++) {
                int fd;
                memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                if (out->fd_count < max_fds) {
                    fds[out->fd_count++] = fd;
                } else {
                    out->truncated = 1;  // cannot happen with a control buffer this size
                }
            }
        } else if (c->cmsg_type == SCM_CREDENTIALS &&
                   c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
            struct ucred cred;
            memcpy(&cred, CMSG_DATA(c), sizeof(cred));
            out->has_credentials = 1;
            out->pid = cred.pid;
            out->uid = cred.uid;
            out->gid = cred.gid;
        }
    }
    return n;
}

int chandoff_enable_credentials(int socket) {
    int on = 1;
    return setsockopt(socket, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on));
}

int chandoff_peer_credentials(int socket, pid_t *pid, uid_t *uid, gid_t *gid) {
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(socket, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return -1;
    *pid = cred.pid;
    *uid = cred.uid;
    *gid = cred.gid;
    return 0;
}

#include <sys/eventfd.h>

int chandoff_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

int chandoff_accept4(int socket, void *address, unsigned int *length, int flags) {
    return accept4(socket, (struct sockaddr *)address, (socklen_t *)length, flags);
}
