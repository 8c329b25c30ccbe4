// memfd_create(2) and file seals, declared by glibc only under _GNU_SOURCE.
#define _GNU_SOURCE
#include "CHandoff.h"
#include <fcntl.h>
#include <sys/mman.h>

int chandoff_memfd_create(const char *name) {
    return memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
}

int chandoff_memfd_seal(int fd) {
    return fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
}
