// berth-init userns-exec: runs one command as root of a fresh user namespace mapped exactly as a
// rootless container's (0 = the user, 1… = the user's /etc/subuid and /etc/subgid range).
//
//   berth-init userns-exec NEWUIDMAP NEWGIDMAP "UIDMAP" "GIDMAP" PROGRAM [ARG...]
//
// UIDMAP and GIDMAP are "inside outside count ..." triples separated by spaces, as newuidmap(1)
// takes them. Images uses it to unpack layers (a hidden `berth image unpack-layer`) so that a file
// owned by uid 1000 in a layer is owned by the subordinate ID the container will see as 1000, and
// to remove such trees again (`rm -rf`), which the user cannot do from outside once a directory
// belongs to a subordinate ID.
//
// Why here: unshare(CLONE_NEWUSER) fails in a multi-threaded process, so the Swift CLI cannot
// enter a user namespace itself, and the maps must be written from outside the namespace by
// newuidmap/newgidmap (setuid helpers that check /etc/subuid). A forked single-threaded child
// unshares, waits for its parent to write the maps, becomes root there and execs the command.
// The parent passes the command's exit status on (128 + signal when killed).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "id-map.h"

#define USERNS_FAILURE 125 // as env(1) and podman: the helper failed, not the command

static ssize_t read_retry(int fd, char *byte) {
    ssize_t n;
    do n = read(fd, byte, 1); while (n < 0 && errno == EINTR);
    return n;
}

int userns_exec_main(int argc, char **argv) {
    if (argc < 7) {
        fprintf(stderr, "usage: berth-init userns-exec NEWUIDMAP NEWGIDMAP UIDMAP GIDMAP PROGRAM [ARG...]\n");
        return USERNS_FAILURE;
    }
    const char *uid_helper = argv[2], *gid_helper = argv[3], *uid_map = argv[4], *gid_map = argv[5];
    int ready[2], go[2];
    if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(go, O_CLOEXEC) < 0) {
        fprintf(stderr, "userns-exec: pipe: %s\n", strerror(errno));
        return USERNS_FAILURE;
    }
    pid_t parent = getpid();
    pid_t child = fork();
    if (child < 0) {
        fprintf(stderr, "userns-exec: fork: %s\n", strerror(errno));
        return USERNS_FAILURE;
    }
    if (child == 0) {
        close(ready[0]);
        close(go[1]);
        // The command must not outlive a killed caller: its half-written output is swept later.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(USERNS_FAILURE);
        if (unshare(CLONE_NEWUSER) < 0) {
            fprintf(stderr, "userns-exec: unshare CLONE_NEWUSER: %s\n", strerror(errno));
            _exit(USERNS_FAILURE);
        }
        char byte = 'u';
        if (write(ready[1], &byte, 1) != 1) _exit(USERNS_FAILURE);
        if (read_retry(go[0], &byte) != 1) _exit(USERNS_FAILURE); // the parent could not map us
        if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
            fprintf(stderr, "userns-exec: become root of the user namespace: %s\n", strerror(errno));
            _exit(USERNS_FAILURE);
        }
        // The host's supplementary groups would show as nobody and could deny access; root of
        // the namespace needs none.
        setgroups(0, NULL);
        execvp(argv[6], argv + 6);
        fprintf(stderr, "userns-exec: exec %s: %s\n", argv[6], strerror(errno));
        _exit(errno == ENOENT ? 127 : 126);
    }
    close(ready[1]);
    close(go[0]);
    char byte;
    int mapped = read_retry(ready[0], &byte) == 1;
    if (mapped && run_id_map_helper(uid_helper, child, uid_map) < 0) {
        fprintf(stderr, "userns-exec: %s %d %s failed (check /etc/subuid)\n", uid_helper, child, uid_map);
        mapped = 0;
    }
    if (mapped && run_id_map_helper(gid_helper, child, gid_map) < 0) {
        fprintf(stderr, "userns-exec: %s %d %s failed (check /etc/subgid)\n", gid_helper, child, gid_map);
        mapped = 0;
    }
    if (mapped) {
        byte = 'g';
        if (write(go[1], &byte, 1) != 1) mapped = 0;
    }
    close(go[1]); // unmapped: the child reads end-of-file and exits
    int status;
    while (waitpid(child, &status, 0) < 0)
        if (errno != EINTR) return USERNS_FAILURE;
    if (!mapped) return USERNS_FAILURE;
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
