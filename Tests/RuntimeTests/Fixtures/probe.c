// Probe run inside containers by RuntimeTests: prints what the container sees, one "key: value"
// line per fact, and the errno of syscalls the default seccomp profile must block.
#define _GNU_SOURCE
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
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

// "dev PATH: TYPE MAJOR:MINOR MODE UID:GID read=… write=…": what the node is and how it
// behaves, so a test tells a /dev/zero-like node (reads zeros) from a /dev/null-like one (EOF).
static void device_line(const char *path) {
    struct stat st;
    if (lstat(path, &st) < 0) { printf("dev %s: %s\n", path, strerror(errno)); return; }
    char type = S_ISCHR(st.st_mode) ? 'c' : S_ISBLK(st.st_mode) ? 'b' : S_ISFIFO(st.st_mode) ? 'p' : S_ISREG(st.st_mode) ? 'f' : '?';
    char reads[64] = "-", writes[64] = "-";
    if (type == 'c') {
        int fd = open(path, O_RDWR);
        if (fd < 0) {
            snprintf(reads, sizeof reads, "%s", strerror(errno));
        } else {
            unsigned char buf[4] = {1, 1, 1, 1};
            ssize_t n = read(fd, buf, sizeof buf);
            snprintf(reads, sizeof reads, "%s", n < 0 ? strerror(errno) : n == 0 ? "eof"
                     : (n == 4 && !buf[0] && !buf[1] && !buf[2] && !buf[3]) ? "zeros" : "data");
            snprintf(writes, sizeof writes, "%s", write(fd, "x", 1) == 1 ? "ok" : strerror(errno));
            close(fd);
        }
    }
    printf("dev %s: %c %u:%u %04o %u:%u read=%s write=%s\n", path, type, major(st.st_rdev), minor(st.st_rdev),
           (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)st.st_gid, reads, writes);
}

int main(int argc, char **argv) {
    // With arguments, only what they ask: "file:PATH" (its content) or "dev:PATH" (a node).
    if (argc > 1) {
        for (int i = 1; i < argc; i++) {
            if (!strncmp(argv[i], "file:", 5)) {
                char label[600];
                snprintf(label, sizeof label, "file %s", argv[i] + 5);
                file_line(label, argv[i] + 5);
            } else if (!strncmp(argv[i], "dev:", 4)) {
                device_line(argv[i] + 4);
            }
        }
        return 0;
    }
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
