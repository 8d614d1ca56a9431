// Linux calls glibc declares in headers the Swift Glibc module does not include, or declares only
// under _GNU_SOURCE, which a module map cannot set for headers other modules have already read.
#include <sys/pidfd.h>
#include <sys/eventfd.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <spawn.h>
#include <malloc.h>  // malloc_trim: the supervisor returns start-up heap after settling

// glibc ≥ 2.10 exports both; the prototypes are repeated here exactly as <unistd.h> and
// <sys/socket.h> give them with _GNU_SOURCE.
int pipe2(int pipefd[2], int flags);
struct sockaddr;
int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);

// glibc ≥ 2.34; declared by <spawn.h> under _GNU_SOURCE only.
int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);

// splice and F_SETPIPE_SZ for the port forwarder: thin wrappers over the system calls, named so
// they cannot clash with glibc's.
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
