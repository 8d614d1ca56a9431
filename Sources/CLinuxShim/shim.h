// Linux calls glibc declares in headers the Swift Glibc module does not include.
#include <sys/pidfd.h>
#include <sys/eventfd.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

// glibc declares splice, pipe2 and accept4 only under _GNU_SOURCE, which the Glibc module is not
// built with: thin wrappers over the system calls, named so they cannot clash with glibc's.
enum {
    BERTH_SPLICE_F_MOVE = 1,
    BERTH_SPLICE_F_NONBLOCK = 2,
    BERTH_F_SETPIPE_SZ = 1031,
};

static inline long berth_splice(int fd_in, int fd_out, unsigned long length, unsigned int flags) {
    return syscall(SYS_splice, fd_in, (void *)0, fd_out, (void *)0, length, flags);
}

static inline int berth_pipe2(int fds[2], int flags) {
    return (int)syscall(SYS_pipe2, fds, flags);
}

static inline int berth_accept4(int fd, int flags) {
    return (int)syscall(SYS_accept4, fd, (void *)0, (void *)0, flags);
}
