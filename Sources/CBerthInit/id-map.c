// See id-map.h.
#define _GNU_SOURCE
#include "id-map.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int run_id_map_helper(const char *helper, pid_t pid, const char *map) {
    // newuidmap takes at most a few hundred triples; 64 is more than any /etc/subuid gives.
    char *argv[3 * 64 + 3];
    char pidstr[32], copy[4096];
    int n = 0;
    snprintf(pidstr, sizeof pidstr, "%d", pid);
    snprintf(copy, sizeof copy, "%s", map);
    argv[n++] = (char *)helper;
    argv[n++] = pidstr;
    for (char *tok = strtok(copy, " \n"); tok && n < (int)(sizeof argv / sizeof argv[0]) - 1; tok = strtok(NULL, " \n"))
        argv[n++] = tok;
    argv[n] = NULL;
    pid_t child = fork();
    if (child < 0) return -1;
    if (child == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) dup2(null, 1);
        execv(helper, argv);
        _exit(127);
    }
    int status;
    while (waitpid(child, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}
