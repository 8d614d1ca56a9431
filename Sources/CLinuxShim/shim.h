// Linux calls glibc declares in headers the Swift Glibc module does not include, or declares only
// under _GNU_SOURCE, which a module map cannot set for headers other modules have already read.
#include <sys/pidfd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

// glibc ≥ 2.10 exports both; the prototypes are repeated here exactly as <unistd.h> and
// <sys/socket.h> give them with _GNU_SOURCE.
int pipe2(int pipefd[2], int flags);
int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);

#include <spawn.h>
// glibc ≥ 2.34; declared by <spawn.h> under _GNU_SOURCE only.
int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
