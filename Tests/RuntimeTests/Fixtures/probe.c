// Probe run inside containers by RuntimeTests: prints what the container sees, one "key: value"
// line per fact, and the errno of syscalls the default seccomp profile must block.
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void status_line(const char *key) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, strlen(key))) { fputs(line, stdout); }
    if (f) fclose(f);
}

static void file_line(const char *label, const char *path) {
    char buf[512] = "";
    int fd = open(path, O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (n > 0) buf[n] = 0;
    for (char *p = buf; *p; p++) if (*p == '\n') *p = ';';
    printf("%s: %s\n", label, fd < 0 ? strerror(errno) : buf);
    if (fd >= 0) close(fd);
}

int main(void) {
    status_line("CapEff:");
    status_line("NoNewPrivs:");
    status_line("Seccomp:");
    printf("pid: %d\n", getpid());
    printf("uid: %d\n", getuid());
    char host[256] = "";
    gethostname(host, sizeof host);
    printf("hostname: %s\n", host);
    file_line("uid_map", "/proc/self/uid_map");
    errno = 0;
    long r = syscall(SYS_add_key, "user", "k", "v", 1, 0);
    printf("add_key: %ld %d\n", r, errno);           // not in the profile: ENOSYS
    errno = 0;
    r = syscall(SYS_userfaultfd, 0);
    printf("userfaultfd: %ld %d\n", r, errno);       // denied: EPERM
    errno = 0;
    r = syscall(SYS_kexec_load, 0, 0, 0, 0);
    printf("kexec_load: %ld %d\n", r, errno);        // denied: EPERM
    file_line("timer_list", "/proc/timer_list");     // masked: empty
    int entries = 0;
    DIR *d = opendir("/sys/firmware");               // masked: an empty tmpfs
    for (struct dirent *e; d && (e = readdir(d));) if (e->d_name[0] != '.') entries++;
    if (d) closedir(d);
    printf("sys_firmware_entries: %d\n", entries);
    int w = open("/proc/sys/kernel/hostname", O_WRONLY);
    printf("proc_sys_write: %s\n", w < 0 ? strerror(errno) : "allowed");
    w = open("/probe-written", O_CREAT | O_WRONLY, 0644);
    printf("rootfs_write: %s\n", w < 0 ? strerror(errno) : "allowed");
    int open_fds = 0;                                // only stdio may be inherited
    DIR *fds = opendir("/proc/self/fd");
    char links[512] = "";
    for (struct dirent *e; fds && (e = readdir(fds));) {
        if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(fds)) continue;
        open_fds++;
        char path[64], target[128] = "";
        snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
        ssize_t n = readlink(path, target, sizeof target - 1);
        if (n > 0) target[n] = 0;
        snprintf(links + strlen(links), sizeof links - strlen(links), "%s=%s ", e->d_name, target);
    }
    printf("open_fds: %d\n", open_fds);
    printf("fd_links: %s\n", links);
    return 0;
}
