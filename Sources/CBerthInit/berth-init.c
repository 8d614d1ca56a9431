// berth-init: the container monitor and container init, exec'd by `berth runtime` with posix_spawn.
//
// Why C and why a separate executable: namespaces are created with clone(2), and the child runs
// before it execs the entrypoint. Swift's runtime (locks, allocator, threads) must never run in
// that window, so everything between clone and execve lives in this small single-threaded
// program. It is installed next to `berth` (SwiftPM builds it into the same products folder), and
// `berth` finds it as `dirname(/proc/self/exe)/berth-init`.
//
// Two roles in one binary:
//   monitor   the process `berth` spawns. It reads the configuration from fd 3, clones the
//             container with new namespaces, writes its ID maps (directly as root, through
//             newuidmap/newgidmap when rootless), reports "pid N" (or "err CODE MESSAGE") on fd 4,
//             then waits for the container and records its exit status in the state directory.
//             Because the monitor is the container's parent, the exit status is never lost when
//             the `berth` process that started the container is gone.
//   container the clone child: PID 1 of the new PID namespace. It mounts the root filesystem,
//             pivots, masks paths, drops privileges, loads the seccomp filter and execs.
//
// Every failure is reported as "STAGE: SYSCALL OBJECT: strerror" so the error names the syscall
// and the object, as invariant 3 of DESIGN.md asks.
//
// The configuration is a sequence of records, each "KEY LENGTH\n" followed by LENGTH bytes of
// payload. Composite payloads separate their fields with NUL. `berth` (Runtime/InitConfig.swift)
// writes it; the format is private to the two.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <time.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "id-map.h"
#include <linux/capability.h>

#include "journal-writer.h"

#define MAX_ITEMS 512

struct mount_entry {
    const char *source, *dest, *type, *data;
    unsigned long flags, propagation;
};

struct device_bind { const char *source, *dest; };

struct device_node {
    const char *path;
    mode_t mode; // file type and permission bits
    unsigned major, minor;
    uid_t uid; gid_t gid;
};

struct sysctl_entry { const char *path, *value; }; // path under /proc/sys

struct config {
    int clone_flags;
    const char *ns_paths[8];      // paths of namespaces to join, by index in ns_types
    int ns_join_types[8];
    int ns_join_count;
    const char *uid_map, *gid_map; // "inside outside count\n..." lines
    const char *uid_helper, *gid_helper; // newuidmap/newgidmap paths when rootless
    int setgroups_deny;
    const char *hostname;
    const char *domainname; // linux.sysctl kernel.domainname
    const char *rootfs;
    const char *root_overlay; // overlay options (lowerdir=…,upperdir=…,workdir=…) mounted at rootfs
    unsigned long root_propagation;
    struct mount_entry mounts[MAX_ITEMS]; int mount_count;
    struct device_bind devices[64 + 16]; int device_count; // host nodes bind-mounted into /dev (spec's and defaults)
    struct device_node nodes[64]; int node_count;       // nodes made with mknod
    struct sysctl_entry sysctls[64]; int sysctl_count;
    const char *masked[MAX_ITEMS]; int masked_count;
    const char *readonly[MAX_ITEMS]; int readonly_count;
    int root_readonly;
    int rlimit_res[32]; struct rlimit rlimits[32]; int rlimit_count;
    const char *cwd;
    char *argv[MAX_ITEMS]; int argc;
    char *env[MAX_ITEMS]; int envc;
    uid_t uid; gid_t gid;
    gid_t groups[64]; int group_count;
    uint64_t cap_eff, cap_perm, cap_inh, cap_bnd, cap_amb; int have_caps;
    int no_new_privs;
    const unsigned char *bpf; size_t bpf_len;
    const char *exit_file;
    const char *fifo;
    const char *cgroups[16]; int cgroup_count; // cgroup.procs files to add the container to (one per hierarchy)
    const char *console_socket; // process.terminal: where to send the pty master (runc protocol)
    int tiny_init; // run a reaping, signal-forwarding PID 1 above the entrypoint (init: true)
    int exec_mode; // join a running container's namespaces (berth runtime exec) instead of creating
    const char *log_path;       // capture stdout/stderr into this json-file log (see "container logs")
    long long log_max_size;     // rotate before a write would pass this many bytes; 0: never
    int log_max_files;          // files kept, the live one included (docker's max-file)
    int log_tee;                // also copy the output to the monitor's stdout/stderr (berth run)
    int log_terminal;           // process.terminal with a captured log: the monitor reads the pty master
    int log_journal;            // log_path is journald's socket: entries, not a file (journal-writer.c)
    const char *cgroupfs_dest;  // where the container's own cgroups are mounted (see mount_cgroups)
    unsigned long cgroupfs_flags;
    const char *fuse_overlayfs; // fuse-overlayfs, for an overlay root native overlayfs refuses (see fuse_overlay_start)
    const char *fuse_options;   // its -o: lowerdir=…,upperdir=…,workdir=…
    const char *fuse_pidfile;   // where the monitor records the daemon's PID while it runs
    const char *fuse_log;       // the daemon's stdout and stderr
    const char *fuse_root;      // an empty directory: the daemon's own root, a recursive bind of "/"
    int fuse_force;             // BERTH_OVERLAY=fuse-overlayfs: do not try native overlayfs first
};

static struct config cfg;
static int report_fd = 4;
static pid_t container_pid;

// ---- error reporting ----------------------------------------------------------------------

// Reports to `berth` through the report pipe and exits; `code` becomes the exit status so that
// "entrypoint not found" gives 127 and "not executable" 126, like docker.
static void fail_to(int fd, int code, const char *fmt, ...) {
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    dprintf(fd, "err %d %s\n", code, msg);
    _exit(code);
}

// ---- configuration ------------------------------------------------------------------------

static char *read_all(int fd, size_t *len) {
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) return NULL;
    for (;;) {
        if (n == cap) {
            cap *= 2;
            char *bigger = realloc(buf, cap + 1);
            if (!bigger) return NULL;
            buf = bigger;
        }
        ssize_t r = pread(fd, buf + n, cap - n, (off_t)n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return NULL;
        if (r == 0) break;
        n += (size_t)r;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

// Splits a NUL-separated payload into at most `max` fields.
static int fields(char *p, size_t len, char **out, int max) {
    int n = 0;
    char *end = p + len;
    while (p < end && n < max) {
        out[n++] = p;
        p += strlen(p) + 1;
    }
    return n;
}

static void parse_config(char *buf, size_t len) {
    char *p = buf, *end = buf + len;
    while (p < end) {
        // Header "KEY LENGTH\n", parsed by hand: scanf's "\n" would also eat leading white
        // space of a binary payload such as the seccomp filter.
        char key[32];
        size_t n;
        char *newline = memchr(p, '\n', (size_t)(end - p));
        char *space = memchr(p, ' ', (size_t)(end - p));
        if (!newline || !space || space > newline || (size_t)(space - p) >= sizeof key)
            fail_to(report_fd, 1, "config: malformed record at offset %zu", (size_t)(p - buf));
        memcpy(key, p, (size_t)(space - p));
        key[space - p] = 0;
        n = strtoul(space + 1, NULL, 10);
        char *v = newline + 1;
        if (v + n > end) fail_to(report_fd, 1, "config: record %s overruns the configuration", key);
        // Records are not NUL-terminated on the wire: copy each payload into its own string.
        char *value = malloc(n + 1);
        if (!value) fail_to(report_fd, 1, "config: out of memory");
        memcpy(value, v, n);
        value[n] = 0;
        p = v + n;

        if (!strcmp(key, "clone")) cfg.clone_flags = (int)strtol(value, NULL, 10);
        else if (!strcmp(key, "join")) {
            char *f[2];
            if (fields(value, n, f, 2) == 2 && cfg.ns_join_count < 8) {
                cfg.ns_join_types[cfg.ns_join_count] = (int)strtol(f[0], NULL, 10);
                cfg.ns_paths[cfg.ns_join_count++] = f[1];
            }
        }
        else if (!strcmp(key, "uidmap")) cfg.uid_map = value;
        else if (!strcmp(key, "gidmap")) cfg.gid_map = value;
        else if (!strcmp(key, "uidhelper")) cfg.uid_helper = value;
        else if (!strcmp(key, "gidhelper")) cfg.gid_helper = value;
        else if (!strcmp(key, "setgroupsdeny")) cfg.setgroups_deny = 1;
        else if (!strcmp(key, "hostname")) cfg.hostname = value;
        else if (!strcmp(key, "domainname")) cfg.domainname = value;
        else if (!strcmp(key, "rootfs")) cfg.rootfs = value;
        else if (!strcmp(key, "rootoverlay")) cfg.root_overlay = value;
        else if (!strcmp(key, "rootprop")) cfg.root_propagation = strtoul(value, NULL, 10);
        else if (!strcmp(key, "mount") && cfg.mount_count < MAX_ITEMS) {
            char *f[6];
            if (fields(value, n, f, 6) != 6) fail_to(report_fd, 1, "config: malformed mount");
            struct mount_entry *m = &cfg.mounts[cfg.mount_count++];
            m->source = f[0]; m->dest = f[1]; m->type = f[2];
            m->flags = strtoul(f[3], NULL, 10); m->propagation = strtoul(f[4], NULL, 10);
            m->data = f[5];
        }
        else if (!strcmp(key, "device") && cfg.device_count < 64 + 16) {
            char *f[2];
            if (fields(value, n, f, 2) != 2) fail_to(report_fd, 1, "config: malformed device");
            cfg.devices[cfg.device_count].source = f[0];
            cfg.devices[cfg.device_count++].dest = f[1];
        }
        else if (!strcmp(key, "mknod") && cfg.node_count < 64) {
            char *f[6];
            if (fields(value, n, f, 6) != 6) fail_to(report_fd, 1, "config: malformed mknod");
            struct device_node *d = &cfg.nodes[cfg.node_count++];
            d->path = f[0];
            d->mode = (mode_t)strtoul(f[1], NULL, 10);
            d->major = (unsigned)strtoul(f[2], NULL, 10); d->minor = (unsigned)strtoul(f[3], NULL, 10);
            d->uid = (uid_t)strtoul(f[4], NULL, 10); d->gid = (gid_t)strtoul(f[5], NULL, 10);
        }
        else if (!strcmp(key, "sysctl") && cfg.sysctl_count < 64) {
            char *f[2];
            if (fields(value, n, f, 2) != 2) fail_to(report_fd, 1, "config: malformed sysctl");
            cfg.sysctls[cfg.sysctl_count].path = f[0];
            cfg.sysctls[cfg.sysctl_count++].value = f[1];
        }
        else if (!strcmp(key, "mask") && cfg.masked_count < MAX_ITEMS) cfg.masked[cfg.masked_count++] = value;
        else if (!strcmp(key, "ro") && cfg.readonly_count < MAX_ITEMS) cfg.readonly[cfg.readonly_count++] = value;
        else if (!strcmp(key, "rootro")) cfg.root_readonly = 1;
        else if (!strcmp(key, "rlimit") && cfg.rlimit_count < 32) {
            unsigned long long soft, hard;
            int res;
            if (sscanf(value, "%d %llu %llu", &res, &soft, &hard) != 3) fail_to(report_fd, 1, "config: malformed rlimit");
            cfg.rlimit_res[cfg.rlimit_count] = res;
            cfg.rlimits[cfg.rlimit_count].rlim_cur = (rlim_t)soft;
            cfg.rlimits[cfg.rlimit_count++].rlim_max = (rlim_t)hard;
        }
        else if (!strcmp(key, "cwd")) cfg.cwd = value;
        else if (!strcmp(key, "arg") && cfg.argc < MAX_ITEMS - 1) cfg.argv[cfg.argc++] = value;
        else if (!strcmp(key, "env") && cfg.envc < MAX_ITEMS - 1) cfg.env[cfg.envc++] = value;
        else if (!strcmp(key, "uid")) cfg.uid = (uid_t)strtoul(value, NULL, 10);
        else if (!strcmp(key, "gid")) cfg.gid = (gid_t)strtoul(value, NULL, 10);
        else if (!strcmp(key, "group") && cfg.group_count < 64) cfg.groups[cfg.group_count++] = (gid_t)strtoul(value, NULL, 10);
        else if (!strcmp(key, "caps")) {
            cfg.have_caps = sscanf(value, "%lx %lx %lx %lx %lx", &cfg.cap_eff, &cfg.cap_perm,
                                   &cfg.cap_inh, &cfg.cap_bnd, &cfg.cap_amb) == 5;
        }
        else if (!strcmp(key, "nnp")) cfg.no_new_privs = 1;
        else if (!strcmp(key, "seccomp")) { cfg.bpf = (const unsigned char *)value; cfg.bpf_len = n; }
        else if (!strcmp(key, "exitfile")) cfg.exit_file = value;
        else if (!strcmp(key, "fifo")) cfg.fifo = value;
        else if (!strcmp(key, "cgroup") && cfg.cgroup_count < 16) cfg.cgroups[cfg.cgroup_count++] = value;
        else if (!strcmp(key, "cgroupfs")) {
            char *f[2];
            if (fields(value, n, f, 2) != 2) fail_to(report_fd, 1, "config: malformed cgroupfs");
            cfg.cgroupfs_dest = f[0];
            cfg.cgroupfs_flags = strtoul(f[1], NULL, 10);
        }
        else if (!strcmp(key, "fuseoverlay")) cfg.fuse_overlayfs = value;
        else if (!strcmp(key, "fuseoptions")) cfg.fuse_options = value;
        else if (!strcmp(key, "fusepidfile")) cfg.fuse_pidfile = value;
        else if (!strcmp(key, "fuselog")) cfg.fuse_log = value;
        else if (!strcmp(key, "fuseroot")) cfg.fuse_root = value;
        else if (!strcmp(key, "fuseforce")) cfg.fuse_force = 1;
        else if (!strcmp(key, "exec")) cfg.exec_mode = 1;
        else if (!strcmp(key, "init")) cfg.tiny_init = 1;
        else if (!strcmp(key, "console")) cfg.console_socket = value;
        else if (!strcmp(key, "logpath")) cfg.log_path = value;
        else if (!strcmp(key, "logmaxsize")) cfg.log_max_size = strtoll(value, NULL, 10);
        else if (!strcmp(key, "logtee")) cfg.log_tee = 1;
        else if (!strcmp(key, "logterminal")) cfg.log_terminal = 1;
        else if (!strcmp(key, "logmaxfiles")) cfg.log_max_files = (int)strtol(value, NULL, 10);
        else if (!strcmp(key, "logjournal")) cfg.log_journal = 1;
        else if (!strcmp(key, "logfield")) {
            if (journal_add_field(value) < 0) fail_to(report_fd, 1, "config: journal field %.64s: %s", value, strerror(errno));
        }
        else fail_to(report_fd, 1, "config: unknown record %s", key);
    }
    cfg.argv[cfg.argc] = NULL;
    cfg.env[cfg.envc] = NULL;
}

// ---- container side -----------------------------------------------------------------------

static int sync_fd = -1; // the container's end of the socket pair to the monitor

#define CFAIL(code, ...) fail_to(sync_fd, code, __VA_ARGS__)

static void mkdir_p(const char *path, mode_t mode) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(tmp, mode) < 0 && errno != EEXIST) CFAIL(1, "mounts: mkdir %s: %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, mode) < 0 && errno != EEXIST) CFAIL(1, "mounts: mkdir %s: %s", tmp, strerror(errno));
}

// Resolves `dest` (absolute inside the container) under the rootfs and refuses a result that a
// symlink led outside the rootfs.
static void target_path(const char *dest, char *out, size_t size, int is_file) {
    snprintf(out, size, "%s%s", cfg.rootfs, dest);
    struct stat st;
    if (lstat(out, &st) < 0) {
        if (is_file) {
            char parent[4096];
            snprintf(parent, sizeof parent, "%s", out);
            char *slash = strrchr(parent, '/');
            if (slash && slash != parent) { *slash = 0; mkdir_p(parent, 0755); }
            int fd = open(out, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
            if (fd < 0) CFAIL(1, "mounts: create %s: %s", out, strerror(errno));
            close(fd);
        } else {
            mkdir_p(out, 0755);
        }
    }
    char resolved[4096];
    if (!realpath(out, resolved)) CFAIL(1, "mounts: realpath %s: %s", out, strerror(errno));
    size_t rl = strlen(cfg.rootfs);
    if (strncmp(resolved, cfg.rootfs, rl) != 0 || (resolved[rl] != 0 && resolved[rl] != '/'))
        CFAIL(1, "mounts: %s resolves to %s, outside the root filesystem", dest, resolved);
    snprintf(out, size, "%s", resolved);
}

// Flags a remount must keep: in a user namespace the kernel locks nosuid/nodev/noexec/ro of
// mounts inherited from the parent, and a remount that drops them fails with EPERM.
static unsigned long locked_flags(const char *path) {
    struct statvfs sv;
    unsigned long f = 0;
    if (statvfs(path, &sv) < 0) return 0;
    if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
    if (sv.f_flag & ST_RDONLY) f |= MS_RDONLY;
    return f;
}

static void bind_remount(const char *path, unsigned long flags) {
    unsigned long f = MS_BIND | MS_REMOUNT | flags | locked_flags(path);
    if (mount(NULL, path, NULL, f, NULL) < 0)
        CFAIL(1, "mounts: remount %s with flags %#lx: %s", path, f, strerror(errno));
}

static void do_mount(const struct mount_entry *m) {
    char dest[4096];
    int is_bind = (m->flags & MS_BIND) != 0;
    struct stat st;
    int is_file = is_bind && stat(m->source, &st) == 0 && !S_ISDIR(st.st_mode);
    target_path(m->dest, dest, sizeof dest, is_file);
    if (is_bind) {
        if (mount(m->source, dest, NULL, m->flags & (MS_BIND | MS_REC), NULL) < 0)
            CFAIL(1, "mounts: bind %s on %s: %s", m->source, dest, strerror(errno));
        unsigned long rest = m->flags & ~(MS_BIND | MS_REC);
        if (rest) bind_remount(dest, rest);
    } else if (mount(m->source, dest, m->type, m->flags, m->data[0] ? m->data : NULL) < 0) {
        int err = errno;
        // sysfs can be mounted only by the owner of the network namespace; when the container
        // shares the host's, fall back to a read-only recursive bind of the host's /sys.
        if (!strcmp(m->type, "sysfs") && (err == EPERM || err == EBUSY)) {
            if (mount("/sys", dest, NULL, MS_BIND | MS_REC, NULL) < 0)
                CFAIL(1, "mounts: bind /sys on %s: %s", dest, strerror(errno));
            bind_remount(dest, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
        } else {
            CFAIL(1, "mounts: mount %s (%s) on %s: %s", m->source, m->type, dest, strerror(err));
        }
    }
    if (m->propagation && mount(NULL, dest, NULL, m->propagation, NULL) < 0)
        CFAIL(1, "mounts: set propagation of %s: %s", dest, strerror(errno));
}

// Resolves the parent directory of `dest` (absolute inside the container) under the rootfs,
// creating it, and refuses one that a symlink led outside the rootfs; the last component is
// never followed by its callers (O_NOFOLLOW, mknod).
static void device_path(const char *dest, char *out, size_t size) {
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", dest);
    char *slash = strrchr(parent, '/');
    const char *name = slash ? slash + 1 : parent;
    if (slash && slash != parent) {
        *slash = 0;
        target_path(parent, out, size, 0);
    } else {
        snprintf(out, size, "%s", cfg.rootfs);
    }
    size_t len = strlen(out);
    snprintf(out + len, size - len, "/%s", name);
}

// A host node bind-mounted over a file: mknod needs CAP_MKNOD in the initial user namespace,
// which a container in its own user namespace never has.
static void bind_device(const struct device_bind *d) {
    char dest[4096];
    device_path(d->dest, dest, sizeof dest);
    int fd = open(dest, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0) CFAIL(1, "devices: create %s: %s", dest, strerror(errno));
    close(fd);
    if (mount(d->source, dest, NULL, MS_BIND, NULL) < 0) CFAIL(1, "devices: bind %s on %s: %s", d->source, dest, strerror(errno));
}

// A real node (or a FIFO), with exactly the spec's mode and owner: chmod because mknod applies
// the umask, and an existing file in the image is replaced, as runc does.
static void make_node(const struct device_node *d) {
    char dest[4096];
    device_path(d->path, dest, sizeof dest);
    struct stat st;
    if (lstat(dest, &st) == 0 && !S_ISDIR(st.st_mode) && unlink(dest) < 0)
        CFAIL(1, "devices: unlink %s: %s", dest, strerror(errno));
    if (mknod(dest, d->mode, makedev(d->major, d->minor)) < 0)
        CFAIL(1, "devices: mknod %s (%u:%u, mode %#o): %s", dest, d->major, d->minor, (unsigned)d->mode, strerror(errno));
    if (chmod(dest, d->mode & 07777) < 0) CFAIL(1, "devices: chmod %s: %s", dest, strerror(errno));
    if (chown(dest, d->uid, d->gid) < 0) CFAIL(1, "devices: chown %s to %u:%u: %s", dest, d->uid, d->gid, strerror(errno));
}

// linux.sysctl, after the pivot so that the container's own /proc is written (its network and
// ipc namespaces), and before mask_paths makes /proc/sys read-only. Runtime admitted only keys
// of namespaces the container has to itself.
static void write_sysctls(void) {
    for (int i = 0; i < cfg.sysctl_count; i++) {
        const struct sysctl_entry *e = &cfg.sysctls[i];
        int fd = open(e->path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) CFAIL(1, "sysctl: open %s: %s", e->path, strerror(errno));
        size_t len = strlen(e->value);
        if (write(fd, e->value, len) != (ssize_t)len)
            CFAIL(1, "sysctl: write \"%s\" to %s: %s", e->value, e->path, strerror(errno));
        close(fd);
    }
}

static void dev_symlinks(void) {
    static const char *links[][2] = {
        {"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"},
        {"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
        {"pts/ptmx", "/dev/ptmx"}, {"/proc/kcore", "/dev/core"},
    };
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        char dest[4096];
        snprintf(dest, sizeof dest, "%s%s", cfg.rootfs, links[i][1]);
        if (symlink(links[i][0], dest) < 0 && errno != EEXIST)
            CFAIL(1, "devices: symlink %s: %s", dest, strerror(errno));
    }
}

// ---- the container's cgroups at /sys/fs/cgroup ----------------------------------------------
//
// The container sees its own cgroups, read-only, as runc and crun mount them: on a unified host
// one cgroup2 mount; on a v1 or hybrid host (v1 controllers, v2 at /sys/fs/cgroup/unified) a
// tmpfs with one directory per hierarchy. Each is mounted afresh inside the container's cgroup
// namespace, where its root is the container's own cgroup; where the kernel does not permit that
// (cgroup v1 in a user namespace, or no cgroup namespace of its own), the container's cgroup
// directory on the host is bind-mounted instead. A hierarchy in which the container has no
// cgroup of its own (it is at the root: rootless without delegation) is left out, so the
// host's tree is never shown.

static char host_cgroups[4096]; // /proc/self/cgroup before the cgroup namespace: host paths

static void read_host_cgroups(void) {
    if (!cfg.cgroupfs_dest) return;
    int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
    if (fd < 0) CFAIL(1, "cgroups: open /proc/self/cgroup: %s", strerror(errno));
    size_t len = 0;
    for (ssize_t r; len < sizeof host_cgroups - 1; len += (size_t)r) {
        r = read(fd, host_cgroups + len, sizeof host_cgroups - 1 - len);
        if (r < 0 && errno == EINTR) { r = 0; continue; }
        if (r <= 0) break;
    }
    host_cgroups[len] = 0;
    close(fd);
}

static void mount_cgroup_hierarchy(const char *dest, const char *host_dir, const char *type, const char *options,
                                   const char *path, unsigned long flags) {
    if ((cfg.clone_flags & CLONE_NEWCGROUP) && mount(type, dest, type, flags, options) == 0) return;
    char source[4096];
    snprintf(source, sizeof source, "%s%s", host_dir, path);
    if (mount(source, dest, NULL, MS_BIND | MS_REC, NULL) < 0)
        CFAIL(1, "cgroups: bind %s on %s: %s", source, dest, strerror(errno));
    bind_remount(dest, flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC));
}

static void mount_cgroups(void) {
    if (!cfg.cgroupfs_dest) return;
    char dest[4096];
    target_path(cfg.cgroupfs_dest, dest, sizeof dest, 0);
    unsigned long flags = cfg.cgroupfs_flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME);
    char lines[sizeof host_cgroups], *save = NULL;
    snprintf(lines, sizeof lines, "%s", host_cgroups);
    if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0) {
        // Unified host: one line, "0::PATH".
        const char *path = strstr(lines, "0::");
        char own[4096] = "/";
        if (path) snprintf(own, sizeof own, "%.*s", (int)strcspn(path + 3, "\n"), path + 3);
        if (strcmp(own, "/") != 0) {
            mount_cgroup_hierarchy(dest, "/sys/fs/cgroup", "cgroup2", NULL, own, flags);
        } else if (mount("tmpfs", dest, "tmpfs", flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=0k") < 0) {
            CFAIL(1, "cgroups: mount tmpfs on %s: %s", dest, strerror(errno));
        }
        return;
    }
    if (mount("tmpfs", dest, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755") < 0)
        CFAIL(1, "cgroups: mount tmpfs on %s: %s", dest, strerror(errno));
    for (char *line = strtok_r(lines, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        // "ID:CONTROLLERS:PATH"; CONTROLLERS is empty for v2, "name=systemd" for a named hierarchy.
        char *controllers = strchr(line, ':');
        char *path = controllers ? strchr(controllers + 1, ':') : NULL;
        if (!path) continue;
        *controllers++ = 0;
        *path++ = 0;
        if (!strcmp(path, "/")) continue;
        const char *name = !*controllers ? "unified" : !strncmp(controllers, "name=", 5) ? controllers + 5 : controllers;
        char host_dir[512], where[4200];
        snprintf(host_dir, sizeof host_dir, "/sys/fs/cgroup/%s", name);
        if (access(host_dir, F_OK) < 0) continue; // a hierarchy the host has not mounted
        snprintf(where, sizeof where, "%s/%s", dest, name);
        if (mkdir(where, 0755) < 0 && errno != EEXIST) CFAIL(1, "cgroups: mkdir %s: %s", where, strerror(errno));
        mount_cgroup_hierarchy(where, host_dir, *controllers ? "cgroup" : "cgroup2", *controllers ? controllers : NULL, path, flags);
        // Co-mounted controllers ("cpu,cpuacct") are found by each name, as on the host.
        if (strchr(name, ',') && strncmp(controllers, "name=", 5) != 0) {
            char names[256], *inner = NULL;
            snprintf(names, sizeof names, "%s", name);
            for (char *one = strtok_r(names, ",", &inner); one; one = strtok_r(NULL, ",", &inner)) {
                snprintf(where, sizeof where, "%s/%s", dest, one);
                if (symlink(name, where) < 0 && errno != EEXIST) CFAIL(1, "cgroups: symlink %s: %s", where, strerror(errno));
            }
        }
    }
    if (flags & MS_RDONLY) bind_remount(dest, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
}

// ---- overlay root filesystem ------------------------------------------------------------------
//
// Native overlayfs, mounted inside the container's user namespace (Linux >= 5.11), so the upper
// dir is owned by the container's IDs without privilege on the host. Where the kernel refuses
// (older kernels: EPERM; no overlay module: ENODEV), or when BERTH_OVERLAY=fuse-overlayfs forces
// it, the monitor serves the root with fuse-overlayfs instead (fuse_overlay_start): asked with
// "fuse\n" on the sync socket, it answers 'g' once the mount is there, or reports the failure
// and ends the container.
static void mount_root_overlay(void) {
    if (!cfg.fuse_force) {
        if (mount("overlay", cfg.rootfs, "overlay", 0, cfg.root_overlay) == 0) return;
        int err = errno;
        if (!cfg.fuse_overlayfs || (err != EPERM && err != EINVAL && err != ENODEV))
            CFAIL(1, "mounts: mount overlay (%s) on %s: %s%s", cfg.root_overlay, cfg.rootfs, strerror(err),
                  cfg.fuse_overlayfs ? "" : " (this kernel cannot mount overlayfs here: install fuse-overlayfs, which Berth then uses)");
    }
    if (dprintf(sync_fd, "fuse\n") < 0) _exit(1);
    char reply;
    if (read(sync_fd, &reply, 1) != 1 || reply != 'g') _exit(1); // the monitor reports why
    // The daemon mounted on the rootfs as seen from its own root (see fuse_overlay_start).
    static char served[4096];
    char path[4096];
    snprintf(path, sizeof path, "%s%s", cfg.fuse_root, cfg.rootfs);
    if (!realpath(path, served)) CFAIL(1, "mounts: realpath %s: %s", path, strerror(errno));
    cfg.rootfs = served;
}

static void pivot(void) {
    if (chdir(cfg.rootfs) < 0) CFAIL(1, "pivot: chdir %s: %s", cfg.rootfs, strerror(errno));
    if (syscall(SYS_pivot_root, ".", ".") < 0) CFAIL(1, "pivot: pivot_root %s: %s", cfg.rootfs, strerror(errno));
    // The old root is now stacked under the new one; make it a slave so the detach below cannot
    // propagate back to the host, then drop it.
    if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0) CFAIL(1, "pivot: make old root rslave: %s", strerror(errno));
    if (umount2(".", MNT_DETACH) < 0) CFAIL(1, "pivot: umount2 old root: %s", strerror(errno));
    if (chdir("/") < 0) CFAIL(1, "pivot: chdir /: %s", strerror(errno));
}

static void mask_paths(void) {
    for (int i = 0; i < cfg.masked_count; i++) {
        const char *p = cfg.masked[i];
        struct stat st;
        if (stat(p, &st) < 0) continue; // nothing to mask
        int r = S_ISDIR(st.st_mode) ? mount("tmpfs", p, "tmpfs", MS_RDONLY, "size=0k")
                                    : mount("/dev/null", p, NULL, MS_BIND, NULL);
        if (r < 0) CFAIL(1, "masked paths: mount over %s: %s", p, strerror(errno));
    }
    for (int i = 0; i < cfg.readonly_count; i++) {
        const char *p = cfg.readonly[i];
        if (access(p, F_OK) < 0) continue;
        if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) CFAIL(1, "readonly paths: bind %s: %s", p, strerror(errno));
        bind_remount(p, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
    }
}

// Finds the entrypoint the way execvp would, but with the container's PATH, so that a missing or
// non-executable entrypoint is reported before the container is declared created.
static const char *resolve_entrypoint(char *buf, size_t size) {
    const char *name = cfg.argv[0];
    if (!name) CFAIL(1, "process: args must not be empty");
    if (strchr(name, '/')) {
        snprintf(buf, size, "%s", name);
    } else {
        const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
        for (int i = 0; i < cfg.envc; i++)
            if (!strncmp(cfg.env[i], "PATH=", 5)) path = cfg.env[i] + 5;
        int found = 0;
        while (*path && !found) {
            const char *colon = strchr(path, ':');
            size_t len = colon ? (size_t)(colon - path) : strlen(path);
            snprintf(buf, size, "%.*s/%s", (int)len, path, name);
            if (access(buf, F_OK) == 0) found = 1;
            path = colon ? colon + 1 : path + len;
        }
        if (!found) CFAIL(127, "exec: \"%s\": executable file not found in $PATH", name);
    }
    struct stat st;
    if (stat(buf, &st) < 0) CFAIL(127, "exec: \"%s\": stat %s: %s", name, buf, strerror(errno));
    if (S_ISDIR(st.st_mode)) CFAIL(126, "exec: \"%s\": %s is a directory", name, buf);
    if (access(buf, X_OK) < 0) CFAIL(126, "exec: \"%s\": permission denied", name);
    return buf;
}

static void set_capabilities(void) {
    struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    data[0].effective = (uint32_t)cfg.cap_eff; data[1].effective = (uint32_t)(cfg.cap_eff >> 32);
    data[0].permitted = (uint32_t)cfg.cap_perm; data[1].permitted = (uint32_t)(cfg.cap_perm >> 32);
    data[0].inheritable = (uint32_t)cfg.cap_inh; data[1].inheritable = (uint32_t)(cfg.cap_inh >> 32);
    if (syscall(SYS_capset, &hdr, data) < 0) CFAIL(1, "capabilities: capset: %s", strerror(errno));
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    for (int c = 0; c < 64; c++)
        if ((cfg.cap_amb >> c) & 1)
            if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
                CFAIL(1, "capabilities: raise ambient %d: %s", c, strerror(errno));
}

static void drop_bounding(void) {
    for (int c = 0; c < 64; c++) {
        if ((cfg.cap_bnd >> c) & 1) continue;
        if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) < 0) break; // past the kernel's last capability
        if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0) CFAIL(1, "capabilities: drop bounding %d: %s", c, strerror(errno));
    }
}

static void load_seccomp(void) {
    if (!cfg.bpf_len) return;
    struct sock_fprog prog = {
        .len = (unsigned short)(cfg.bpf_len / sizeof(struct sock_filter)),
        .filter = (struct sock_filter *)(void *)cfg.bpf,
    };
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
        CFAIL(1, "seccomp: load filter: %s", strerror(errno));
}

static int console_fd = -1; // connected console socket, opened before the pivot hides its path

// Failures go to `err_fd`: the monitor's report pipe for exec (which connects before it joins
// the container's mount namespace, where the socket's host path no longer resolves), the sync
// socket in the container otherwise.
static void connect_console(int err_fd) {
    if (!cfg.console_socket || console_fd >= 0) return;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(cfg.console_socket) >= sizeof addr.sun_path) fail_to(err_fd, 1, "console: socket path %s is too long", cfg.console_socket);
    strcpy(addr.sun_path, cfg.console_socket);
    console_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (console_fd < 0 || connect(console_fd, (struct sockaddr *)&addr, sizeof addr) < 0)
        fail_to(err_fd, 1, "console: connect %s: %s", cfg.console_socket, strerror(errno));
}

// process.terminal: a pty from the container's own devpts; the master goes to the console
// socket's listener (SCM_RIGHTS), or with a captured log to the monitor over the sync socket
// (marked by one 'T' byte), and the slave becomes stdio and the controlling terminal.
static void setup_terminal(void) {
    if (console_fd < 0 && !cfg.log_terminal) return;
    int to = console_fd >= 0 ? console_fd : sync_fd;
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0) CFAIL(1, "console: open /dev/ptmx: %s", strerror(errno));
    if (grantpt(master) < 0 || unlockpt(master) < 0) CFAIL(1, "console: unlock pty: %s", strerror(errno));
    char name[64];
    if (ptsname_r(master, name, sizeof name) != 0) CFAIL(1, "console: ptsname: %s", strerror(errno));
    int slave = open(name, O_RDWR | O_NOCTTY);
    if (slave < 0) CFAIL(1, "console: open %s: %s", name, strerror(errno));
    char byte = console_fd >= 0 ? 0 : 'T', control[CMSG_SPACE(sizeof(int))];
    memset(control, 0, sizeof control);
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &master, sizeof(int));
    if (sendmsg(to, &msg, 0) < 0)
        CFAIL(1, "console: send pty master to %s: %s", console_fd >= 0 ? cfg.console_socket : "the monitor", strerror(errno));
    close(master);
    if (console_fd >= 0) close(console_fd);
    if (ioctl(slave, TIOCSCTTY, 0) < 0) CFAIL(1, "console: TIOCSCTTY: %s", strerror(errno));
    for (int fd = 0; fd < 3; fd++)
        if (dup2(slave, fd) < 0) CFAIL(1, "console: dup2: %s", strerror(errno));
    if (slave > 2) close(slave);
}

static int fifo_fd = -1; // O_PATH descriptor of exec.fifo, opened before the pivot hides it

static void wait_for_start(void) {
    if (fifo_fd < 0) return;
    int pfd = fifo_fd;
    // Created: tell the monitor, which reports our pid to `berth create`, then block until
    // `berth start` opens the fifo for reading.
    dprintf(sync_fd, "ready\n");
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", pfd);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) _exit(1);
    if (write(fd, "0", 1) != 1) _exit(1);
    close(fd);
    close(pfd);
}

static volatile sig_atomic_t entrypoint_pid;

static void forward_to_entrypoint(int sig) {
    if (entrypoint_pid > 0) kill(entrypoint_pid, sig);
}

// init: true. PID 1 of a PID namespace ignores signals it has no handler for and inherits every
// orphan; most entrypoints are not written for that. This PID 1 forks the entrypoint, forwards
// signals to it, reaps every child, and exits with the entrypoint's status. It runs after the
// security setup, so it is as confined as the entrypoint; it returns only in the child.
static void run_tiny_init(void) {
    struct sigaction sa = {0};
    sa.sa_handler = forward_to_entrypoint;
    sa.sa_flags = SA_RESTART;
    for (int sig = 1; sig < NSIG; sig++)
        if (sig != SIGCHLD && sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &sa, NULL);
    pid_t child = fork();
    if (child < 0) CFAIL(1, "init: fork: %s", strerror(errno));
    if (child == 0) {
        struct sigaction dfl = {0};
        dfl.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; sig++)
            if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, NULL);
        return;
    }
    entrypoint_pid = child;
    close(sync_fd);
    for (;;) {
        int status;
        pid_t r = waitpid(-1, &status, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) _exit(1);
        if (r == child) _exit(WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status));
    }
}

static void container_main(void) {
    char go;
    if (read(sync_fd, &go, 1) != 1) _exit(1); // the monitor has written our ID maps
    read_host_cgroups();
    if ((cfg.clone_flags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
        CFAIL(1, "namespaces: unshare cgroup namespace: %s", strerror(errno));
    if (cfg.clone_flags & CLONE_NEWUSER) {
        if (setresgid(0, 0, 0) < 0) CFAIL(1, "identity: setresgid 0: %s", strerror(errno));
        if (setresuid(0, 0, 0) < 0) CFAIL(1, "identity: setresuid 0: %s", strerror(errno));
    }
    // The monitor joined every other namespace before the clone; only a mount namespace is
    // joined here, in the container itself.
    for (int i = 0; i < cfg.ns_join_count && !cfg.exec_mode; i++) {
        if (cfg.ns_join_types[i] != CLONE_NEWNS) continue;
        int fd = open(cfg.ns_paths[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, cfg.ns_join_types[i]) < 0)
            CFAIL(1, "namespaces: setns %s: %s", cfg.ns_paths[i], strerror(errno));
        close(fd);
    }
    if (cfg.fifo && (fifo_fd = open(cfg.fifo, O_PATH | O_CLOEXEC)) < 0)
        CFAIL(1, "create: open %s: %s", cfg.fifo, strerror(errno));
    connect_console(sync_fd);
    if (cfg.hostname && sethostname(cfg.hostname, strlen(cfg.hostname)) < 0)
        CFAIL(1, "hostname: sethostname %s: %s", cfg.hostname, strerror(errno));
    if (cfg.domainname && setdomainname(cfg.domainname, strlen(cfg.domainname)) < 0)
        CFAIL(1, "sysctl: setdomainname %s (kernel.domainname): %s", cfg.domainname, strerror(errno));

    if (cfg.rootfs) {
        unsigned long prop = cfg.root_propagation ? cfg.root_propagation : (MS_REC | MS_PRIVATE);
        if (mount(NULL, "/", NULL, prop, NULL) < 0) CFAIL(1, "mounts: set / propagation: %s", strerror(errno));
        if (cfg.root_overlay) {
            mount_root_overlay();
        } else if (mount(cfg.rootfs, cfg.rootfs, NULL, MS_BIND | MS_REC, NULL) < 0) {
            CFAIL(1, "mounts: bind rootfs %s: %s", cfg.rootfs, strerror(errno));
        }
        for (int i = 0; i < cfg.mount_count; i++) do_mount(&cfg.mounts[i]);
        mount_cgroups();
        for (int i = 0; i < cfg.device_count; i++) bind_device(&cfg.devices[i]);
        for (int i = 0; i < cfg.node_count; i++) make_node(&cfg.nodes[i]);
        dev_symlinks();
        pivot();
        write_sysctls();
        mask_paths();
        if (cfg.root_readonly) bind_remount("/", MS_RDONLY);
    }
    for (int i = 0; i < cfg.rlimit_count; i++)
        if (setrlimit(cfg.rlimit_res[i], &cfg.rlimits[i]) < 0)
            CFAIL(1, "rlimits: setrlimit %d to %llu/%llu: %s (a limit cannot exceed the current hard limit without CAP_SYS_RESOURCE)",
                  cfg.rlimit_res[i], (unsigned long long)cfg.rlimits[i].rlim_cur,
                  (unsigned long long)cfg.rlimits[i].rlim_max, strerror(errno));
    if (setsid() < 0) CFAIL(1, "process: setsid: %s", strerror(errno));
    setup_terminal();
    if (cfg.cwd && chdir(cfg.cwd) < 0) CFAIL(1, "process: chdir %s: %s", cfg.cwd, strerror(errno));
    char exe[4096];
    resolve_entrypoint(exe, sizeof exe);
    wait_for_start();

    if (cfg.bpf_len && !cfg.no_new_privs) load_seccomp(); // needs CAP_SYS_ADMIN without NNP
    if (cfg.have_caps) drop_bounding();
    if (setgroups((size_t)cfg.group_count, cfg.groups) < 0 && !(errno == EPERM && cfg.setgroups_deny))
        CFAIL(1, "identity: setgroups: %s", strerror(errno));
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) CFAIL(1, "identity: keepcaps: %s", strerror(errno));
    if (setresgid(cfg.gid, cfg.gid, cfg.gid) < 0) CFAIL(1, "identity: setresgid %u: %s", cfg.gid, strerror(errno));
    if (setresuid(cfg.uid, cfg.uid, cfg.uid) < 0) CFAIL(1, "identity: setresuid %u: %s", cfg.uid, strerror(errno));
    if (cfg.have_caps) set_capabilities();
    if (cfg.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        CFAIL(1, "security: no_new_privs: %s", strerror(errno));
    if (cfg.bpf_len && cfg.no_new_privs) load_seccomp(); // last, so setup syscalls stay allowed

    if (cfg.tiny_init) run_tiny_init();
    execve(exe, cfg.argv, cfg.env);
    int err = errno;
    CFAIL(err == ENOENT ? 127 : 126, "exec: \"%s\": %s", cfg.argv[0], strerror(err));
}

// ---- container logs -----------------------------------------------------------------------
//
// With a log path, the container's stdout and stderr are pipes the monitor drains into docker's
// json-file format: one object per line, {"log":"…\n","stream":"stdout","time":"…Z"}. A line
// longer than 16 KiB is cut into 16 KiB records without the newline (docker's partial
// messages), and a last line without a newline is flushed when the container has exited. The
// monitor does it in the one poll loop that also waits for the container, so it stays a single
// thread, and it drains the pipes before it records the exit status: once `berth` sees a status,
// every line the container wrote is in the file.

#define LOG_LINE_MAX 16384 // docker's maximum message size; longer lines become partial records

struct log_stream {
    const char *name; // "stdout" or "stderr"
    int fd;           // read end, -1 once at end of file
    size_t len;       // pending bytes of an unfinished line
    char buf[2 * LOG_LINE_MAX];
};

// Zero-initialized (BSS, not 64 KiB of .data): log_open fills in names and descriptors.
static struct log_stream log_streams[2];
static int log_fd = -1;
static long long log_size;
static char log_record[6 * LOG_LINE_MAX + 128]; // a line with every byte escaped as \\u00XX

// Length of the valid UTF-8 sequence at p (1-4), or 0 when it is not one: Go's encoder, which
// docker's files come from, writes \\ufffd for each byte of an invalid sequence, and so do we.
static size_t utf8_sequence(const unsigned char *p, size_t n) {
    unsigned char c = p[0];
    size_t need;
    unsigned int min;
    if (c < 0x80) return 1;
    else if ((c & 0xe0) == 0xc0) { need = 2; min = 0x80; }
    else if ((c & 0xf0) == 0xe0) { need = 3; min = 0x800; }
    else if ((c & 0xf8) == 0xf0) { need = 4; min = 0x10000; }
    else return 0;
    if (n < need) return 0;
    unsigned int cp = c & (0x7f >> need);
    for (size_t i = 1; i < need; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return need;
}

// docker's rotation: file.N-1 is dropped, file.i becomes file.i+1, the live file becomes file.1,
// and a new live file starts; with max-file 1 the live file is truncated instead.
static void log_rotate(void) {
    char from[4200], to[4200];
    if (cfg.log_max_files > 1) {
        for (int i = cfg.log_max_files - 1; i > 0; i--) {
            if (i == 1) snprintf(from, sizeof from, "%s", cfg.log_path);
            else snprintf(from, sizeof from, "%s.%d", cfg.log_path, i - 1);
            snprintf(to, sizeof to, "%s.%d", cfg.log_path, i);
            rename(from, to); // a missing older file is not an error
        }
        int fd = open(cfg.log_path, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC | O_CLOEXEC, 0640);
        if (fd >= 0) { close(log_fd); log_fd = fd; }
    } else if (ftruncate(log_fd, 0) < 0) {
        return;
    }
    log_size = 0;
}

static void log_write(const struct log_stream *s, const char *line, size_t n) {
    static const char hex[] = "0123456789abcdef";
    if (cfg.log_journal) {
        journal_send(log_fd, s == &log_streams[0] ? 6 : 3, line, n);
        return;
    }
    char *o = log_record;
    o += sizeof "{\"log\":\"" - 1;
    memcpy(log_record, "{\"log\":\"", sizeof "{\"log\":\"" - 1);
    const unsigned char *p = (const unsigned char *)line;
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c >= 0x80) {
            size_t k = utf8_sequence(p + i, n - i);
            if (k) { memcpy(o, p + i, k); o += k; i += k; }
            else { memcpy(o, "\\ufffd", 6); o += 6; i++; }
            continue;
        }
        i++;
        switch (c) {
        case '"': *o++ = '\\'; *o++ = '"'; break;
        case '\\': *o++ = '\\'; *o++ = '\\'; break;
        case '\n': *o++ = '\\'; *o++ = 'n'; break;
        case '\r': *o++ = '\\'; *o++ = 'r'; break;
        case '\t': *o++ = '\\'; *o++ = 't'; break;
        case '<': case '>': case '&': // as Go escapes them, so files compare byte for byte
        default:
            if (c < 0x20 || c == '<' || c == '>' || c == '&') {
                memcpy(o, "\\u00", 4); o += 4;
                *o++ = hex[c >> 4]; *o++ = hex[c & 15];
            } else {
                *o++ = (char)c;
            }
        }
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    gmtime_r(&now.tv_sec, &tm);
    o += sprintf(o, "\",\"stream\":\"%s\",\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ\"}\n", s->name,
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, now.tv_nsec);
    size_t len = (size_t)(o - log_record);
    if (cfg.log_max_size > 0 && log_size > 0 && log_size + (long long)len > cfg.log_max_size) log_rotate();
    // A full disk or a removed directory loses lines, never the container: it keeps running.
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(log_fd, log_record + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        done += (size_t)w;
    }
    log_size += (long long)len;
}

// Writes every complete line of `s`, and with `flush` the rest as a partial record.
static void log_lines(struct log_stream *s, int flush) {
    size_t start = 0;
    while (start < s->len) {
        char *nl = memchr(s->buf + start, '\n', s->len - start);
        size_t n;
        if (nl) n = (size_t)(nl - (s->buf + start)) + 1;
        else if (s->len - start >= LOG_LINE_MAX) n = LOG_LINE_MAX;
        else if (flush) n = s->len - start;
        else break;
        if (n > LOG_LINE_MAX) n = LOG_LINE_MAX; // the newline goes with the last piece
        log_write(s, s->buf + start, n);
        start += n;
    }
    memmove(s->buf, s->buf + start, s->len - start);
    s->len -= start;
}

// Reads what `s` has (its descriptor is non-blocking); closes it at end of file.
static void log_drain(struct log_stream *s) {
    while (s->fd >= 0) {
        ssize_t r = read(s->fd, s->buf + s->len, sizeof s->buf - s->len);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EIO) r = 0; // a pty master once every slave is closed
        if (r < 0) return;                 // EAGAIN: nothing more for now
        if (r == 0) { close(s->fd); s->fd = -1; log_lines(s, 1); return; }
        if (cfg.log_tee) {
            // Blocking: a slow terminal slows the container down rather than losing its output.
            int out = s == &log_streams[0] ? 1 : 2;
            for (ssize_t done = 0, w; done < r; done += w)
                if ((w = write(out, s->buf + s->len + done, (size_t)(r - done))) <= 0) {
                    if (w < 0 && errno == EINTR) { w = 0; continue; }
                    break;
                }
        }
        s->len += (size_t)r;
        log_lines(s, 0);
    }
}

// Before the clone: the pipes the container writes to, and the log file. Failures are reported
// like any set-up failure, so a container never runs with its output going nowhere.
static void log_open(int pipes[2][2]) {
    if (cfg.log_journal) {
        log_fd = journal_connect(cfg.log_path);
        if (log_fd < 0) fail_to(report_fd, 1, "logs: journald's socket %s: %s (is systemd-journald running?)", cfg.log_path, strerror(errno));
    } else {
        log_fd = open(cfg.log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    }
    if (log_fd < 0) fail_to(report_fd, 1, "logs: open %s: %s", cfg.log_path, strerror(errno));
    struct stat st;
    log_size = fstat(log_fd, &st) == 0 ? (long long)st.st_size : 0;
    for (int i = 0; i < 2; i++) {
        if (pipe2(pipes[i], O_CLOEXEC) < 0) fail_to(report_fd, 1, "logs: pipe2: %s", strerror(errno));
        log_streams[i].name = i == 0 ? "stdout" : "stderr";
        log_streams[i].fd = -1;
    }
}

// berth run on a terminal: the monitor keeps the container's pty master, puts the caller's
// terminal in raw mode, relays its stdin to the master (the master's output is teed back) and
// passes window size changes on; the terminal is restored when the container has exited.
static int terminal_relay = -1;
static struct termios saved_termios;
static int termios_saved;

static void copy_window_size(void) {
    struct winsize ws;
    if (terminal_relay >= 0 && ioctl(0, TIOCGWINSZ, &ws) == 0) ioctl(terminal_relay, TIOCSWINSZ, &ws);
}

static void relay_start(int master) {
    terminal_relay = master;
    if (!isatty(0)) return;
    copy_window_size();
    if (tcgetattr(0, &saved_termios) == 0) {
        struct termios raw = saved_termios;
        cfmakeraw(&raw);
        if (tcsetattr(0, TCSANOW, &raw) == 0) termios_saved = 1;
    }
}

// Moves what the caller typed to the container's terminal; 0 once stdin is at its end.
static int relay_input(void) {
    char buf[4096];
    ssize_t r = read(0, buf, sizeof buf);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) return 1;
    if (r <= 0) return 0;
    for (ssize_t done = 0; done < r;) {
        ssize_t w = write(terminal_relay, buf + done, (size_t)(r - done));
        if (w < 0 && (errno == EINTR || errno == EAGAIN)) { usleep(1000); continue; } // the pty's input queue is full
        if (w < 0) return 0;
        done += w;
    }
    return 1;
}

// Waits for the container while draining its output; returns its wait status. Once it has
// exited, output still buffered in the pipes (or written by processes it left behind, which
// outlive it only without a PID namespace of its own) is drained for at most half a second.
static int log_wait(void) {
    int pidfd = (int)syscall(SYS_pidfd_open, container_pid, 0);
    int status, exited = 0, input = terminal_relay >= 0;
    for (;;) {
        if (!exited) {
            pid_t r = waitpid(container_pid, &status, WNOHANG);
            if (r == container_pid) exited = 1;
            else if (r < 0 && errno != EINTR) { status = 0; exited = 1; }
        }
        if (exited && log_streams[0].fd < 0 && log_streams[1].fd < 0) break;
        struct pollfd fds[4];
        int n = 0;
        for (int i = 0; i < 2; i++)
            if (log_streams[i].fd >= 0) fds[n++] = (struct pollfd){.fd = log_streams[i].fd, .events = POLLIN};
        if (!exited && pidfd >= 0) fds[n++] = (struct pollfd){.fd = pidfd, .events = POLLIN};
        int input_slot = n;
        if (!exited && input) fds[n++] = (struct pollfd){.fd = 0, .events = POLLIN};
        // Without a pidfd (Linux < 5.3) the loop wakes every 100 ms to look for the exit.
        int timeout = exited ? 500 : pidfd >= 0 ? -1 : 100;
        int ready = poll(fds, (nfds_t)n, timeout);
        if (ready < 0 && errno == EINTR) continue; // a forwarded signal
        if (ready == 0 && exited) break;           // output held open by a leftover process
        if (input_slot < n && fds[input_slot].revents) input = relay_input();
        for (int i = 0; i < 2; i++) log_drain(&log_streams[i]);
    }
    if (termios_saved) tcsetattr(0, TCSADRAIN, &saved_termios);
    for (int i = 0; i < 2; i++) {
        log_lines(&log_streams[i], 1);
        if (log_streams[i].fd >= 0) close(log_streams[i].fd);
    }
    if (pidfd >= 0) close(pidfd);
    close(log_fd);
    return status;
}

// ---- monitor side -------------------------------------------------------------------------

static void write_file(pid_t pid, const char *name, const char *text) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, text, strlen(text)) < 0)
        fail_to(report_fd, 1, "id maps: write %s: %s", path, strerror(errno));
    close(fd);
}

static void write_id_maps(pid_t pid) {
    if (!(cfg.clone_flags & CLONE_NEWUSER)) return;
    if (cfg.uid_helper) {
        if (run_id_map_helper(cfg.uid_helper, pid, cfg.uid_map) < 0)
            fail_to(report_fd, 1, "id maps: %s %d %s failed (check /etc/subuid)", cfg.uid_helper, pid, cfg.uid_map);
    } else if (cfg.uid_map) {
        write_file(pid, "uid_map", cfg.uid_map);
    }
    if (cfg.gid_helper) {
        if (run_id_map_helper(cfg.gid_helper, pid, cfg.gid_map) < 0)
            fail_to(report_fd, 1, "id maps: %s %d %s failed (check /etc/subgid)", cfg.gid_helper, pid, cfg.gid_map);
    } else if (cfg.gid_map) {
        if (cfg.setgroups_deny) write_file(pid, "setgroups", "deny");
        write_file(pid, "gid_map", cfg.gid_map);
    }
}

static int terminal_marker_seen;

// read(2) that also takes a descriptor passed with SCM_RIGHTS (the pty master, see
// setup_terminal) into *fd.
static ssize_t receive(int sock, char *buf, size_t len, int *fd) {
    char control[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    ssize_t n;
    do n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC); while (n < 0 && errno == EINTR);
    if (n > 0)
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(fd, CMSG_DATA(c), sizeof(int));
    return n;
}

static void forward_signal(int sig) {
    // A relayed terminal: resizing the pty signals the container's foreground process group.
    if (sig == SIGWINCH && terminal_relay >= 0) { copy_window_size(); return; }
    if (container_pid > 0) kill(container_pid, sig);
}

// ---- fuse-overlayfs (monitor side) ------------------------------------------------------------
//
// The daemon runs inside the container's user, mount and PID namespaces, but outside its cgroup:
// in the user namespace so that it may mount there and files get the container's IDs; in the
// PID namespace because pivot_root moves its root to the container's root, where the only /proc
// is the container's, and fuse-overlayfs reaches its layers through /proc/self/fd. Being there
// also ends it with the container: the kernel kills every process of a PID namespace when its
// PID 1 exits, and the mount namespace, which only the daemon kept alive, goes with it.
// A helper in a session of its own (a Ctrl-C meant for `berth run` must not reach it) joins the
// namespaces and forks the daemon in the foreground (-f); it records the daemon's PID for
// `delete`, passes SIGTERM on, and reaps it. The mount is there once the container's rootfs, seen
// through /proc/PID/root, is a fuse file system.
// The daemon's root is a recursive bind of "/" (on `fuse_root`), not "/" itself: pivot_root moves
// every process whose root is the old root to the new one, which would make the daemon resolve
// its own paths (/proc/self/fd/N) through the file system it serves, waiting on itself. So it
// mounts on the rootfs as seen from there, and the container pivots into that.

#define FUSE_SUPER_MAGIC 0x65735546

static pid_t fuse_helper = -1, fuse_daemon = -1;

static void fuse_forward_term(int sig) {
    if (fuse_daemon > 0) kill(fuse_daemon, sig);
}

// Ends the daemon (when the container had no PID namespace of its own, or is still running)
// and reaps its helper.
static void fuse_overlay_stop(void) {
    if (fuse_helper <= 0) return;
    int gone = waitpid(fuse_helper, NULL, WNOHANG) == fuse_helper;
    if (!gone) kill(fuse_helper, SIGTERM);
    for (int i = 0; i < 200 && !gone; i++) {
        if (waitpid(fuse_helper, NULL, WNOHANG) == fuse_helper) gone = 1;
        else usleep(10000);
    }
    if (!gone) {
        kill(fuse_helper, SIGKILL); // the daemon follows (PR_SET_PDEATHSIG)
        while (waitpid(fuse_helper, NULL, 0) < 0 && errno == EINTR) {}
    }
    fuse_helper = -1;
    if (cfg.fuse_pidfile) unlink(cfg.fuse_pidfile);
}

// Ends the container (and the daemon) and reports `message`, with the daemon's own words.
static void fuse_fail(const char *message) {
    char words[512] = "";
    int fd = cfg.fuse_log ? open(cfg.fuse_log, O_RDONLY | O_CLOEXEC) : -1;
    if (fd >= 0) {
        ssize_t r = read(fd, words, sizeof words - 1);
        words[r > 0 ? r : 0] = 0;
        for (char *p = words; *p; p++) if (*p == '\n') *p = ' ';
        close(fd);
    }
    kill(container_pid, SIGKILL);
    while (waitpid(container_pid, NULL, 0) < 0 && errno == EINTR) {}
    fuse_overlay_stop();
    fail_to(report_fd, 1, "mounts: fuse-overlayfs on %s: %s%s%s", cfg.rootfs, message, *words ? ": " : "", words);
}

static int open_namespace(const char *name) {
    char path[64], message[160];
    snprintf(path, sizeof path, "/proc/%d/ns/%s", container_pid, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(message, sizeof message, "open %s: %s", path, strerror(errno));
        fuse_fail(message);
    }
    return fd;
}

// The helper, in the container's namespaces: forks the daemon and waits for it.
static void fuse_helper_main(int userfd, int mntfd, int pidfd, int logfd, int pidfile) {
    setsid();
    signal(SIGPIPE, SIG_DFL);
    // User first: it gives the capabilities to join the other two.
    if (userfd >= 0 && setns(userfd, CLONE_NEWUSER) < 0) { dprintf(logfd, "setns user: %s\n", strerror(errno)); _exit(125); }
    if (setns(mntfd, CLONE_NEWNS) < 0) { dprintf(logfd, "setns mnt: %s\n", strerror(errno)); _exit(125); }
    if (mount("/", cfg.fuse_root, NULL, MS_BIND | MS_REC, NULL) < 0 || chroot(cfg.fuse_root) < 0 || chdir("/") < 0) {
        dprintf(logfd, "bind / on %s and chroot: %s\n", cfg.fuse_root, strerror(errno));
        _exit(125);
    }
    if (pidfd >= 0 && setns(pidfd, CLONE_NEWPID) < 0) { dprintf(logfd, "setns pid: %s\n", strerror(errno)); _exit(125); }
    // The monitor's handlers forward to the container; the helper forwards only TERM, to the daemon.
    int inherited[] = {SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
    for (size_t i = 0; i < sizeof inherited / sizeof inherited[0]; i++) signal(inherited[i], SIG_DFL);
    struct sigaction sa = {0};
    sa.sa_handler = fuse_forward_term;
    sigaction(SIGTERM, &sa, NULL);
    // The daemon's view of its parent: the helper is outside a new PID namespace, which shows as 0.
    pid_t helper = pidfd >= 0 ? 0 : getpid();
    fuse_daemon = fork();
    if (fuse_daemon < 0) { dprintf(logfd, "fork: %s\n", strerror(errno)); _exit(125); }
    if (fuse_daemon == 0) {
        // Without its helper nobody would end it (and with it the container's file system).
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != helper) _exit(125);
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0) _exit(125);
        char *argv[] = {"fuse-overlayfs", "-f", "-o", (char *)cfg.fuse_options, (char *)cfg.rootfs, NULL};
        execv(cfg.fuse_overlayfs, argv);
        dprintf(2, "exec %s: %s\n", cfg.fuse_overlayfs, strerror(errno));
        _exit(127);
    }
    if (pidfile >= 0) { dprintf(pidfile, "%d\n", fuse_daemon); close(pidfile); }
    int status;
    while (waitpid(fuse_daemon, &status, 0) < 0)
        if (errno != EINTR) _exit(125);
    _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static void fuse_overlay_start(int sync) {
    char message[256];
    int userfd = (cfg.clone_flags & CLONE_NEWUSER) ? open_namespace("user") : -1;
    int mntfd = open_namespace("mnt");
    int pidfd = (cfg.clone_flags & CLONE_NEWPID) ? open_namespace("pid") : -1;
    int logfd = open(cfg.fuse_log ? cfg.fuse_log : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int pidfile = cfg.fuse_pidfile ? open(cfg.fuse_pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
    if (logfd < 0 || (cfg.fuse_pidfile && pidfile < 0)) {
        snprintf(message, sizeof message, "open %s: %s", logfd < 0 ? cfg.fuse_log : cfg.fuse_pidfile, strerror(errno));
        fuse_fail(message);
    }
    if (mkdir(cfg.fuse_root, 0700) < 0 && errno != EEXIST) {
        snprintf(message, sizeof message, "mkdir %s: %s", cfg.fuse_root, strerror(errno));
        fuse_fail(message);
    }
    pid_t child = fork();
    if (child < 0) {
        snprintf(message, sizeof message, "fork: %s", strerror(errno));
        fuse_fail(message);
    }
    if (child == 0) fuse_helper_main(userfd, mntfd, pidfd, logfd, pidfile);
    fuse_helper = child;
    int opened[] = {userfd, mntfd, pidfd, logfd, pidfile};
    for (size_t i = 0; i < sizeof opened / sizeof opened[0]; i++)
        if (opened[i] >= 0) close(opened[i]);
    char target[4200];
    snprintf(target, sizeof target, "/proc/%d/root%s%s", container_pid, cfg.fuse_root, cfg.rootfs);
    // Generous: the daemon reads every lower layer's root at start, on a machine that may be busy.
    for (int waited = 0;; waited += 5) {
        struct statfs fs;
        if (statfs(target, &fs) == 0 && fs.f_type == FUSE_SUPER_MAGIC) break;
        int status;
        if (waitpid(fuse_helper, &status, WNOHANG) == fuse_helper) {
            fuse_helper = -1;
            snprintf(message, sizeof message, "the daemon exited with status %d before mounting",
                     WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
            fuse_fail(message);
        }
        if (waited >= 30000) fuse_fail("not mounted within 30 s");
        usleep(5000);
    }
    if (write(sync, "g", 1) != 1) fuse_fail("the container went away");
}

static void record_exit(int status) {
    if (!cfg.exit_file) return;
    char tmp[4096], text[128];
    snprintf(tmp, sizeof tmp, "%s.tmp", cfg.exit_file);
    int len = WIFSIGNALED(status)
        ? snprintf(text, sizeof text, "{\"signal\":%d,\"exitCode\":%d}\n", WTERMSIG(status), 128 + WTERMSIG(status))
        : snprintf(text, sizeof text, "{\"exitCode\":%d}\n", WEXITSTATUS(status));
    int fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) return;
    // Atomic by rename; not fsync'd: the record describes a process, which a reboot ends anyway.
    int ok = write(fd, text, (size_t)len) == len;
    close(fd);
    if (ok) rename(tmp, cfg.exit_file);
}

int netns_holder_main(int argc, char **argv);
int userns_exec_main(int argc, char **argv);

int main(int argc, char **argv) {
    // A second role, not a container: the per-user rootless network namespace (netns-holder.c).
    if (argc > 1 && strcmp(argv[1], "netns-holder") == 0) return netns_holder_main(argc, argv);
    // A third: one command as root of a user namespace mapped as containers are (userns-exec.c).
    if (argc > 1 && strcmp(argv[1], "userns-exec") == 0) return userns_exec_main(argc, argv);
    // Only stdio, the configuration (3) and the report pipe (4) may cross into the container:
    // close whatever else `berth` or its caller leaked, so no host descriptor reaches it.
    if (syscall(SYS_close_range, 5U, ~0U, 0U) < 0)
        for (int fd = 5; fd < 1024; fd++) close(fd);
    if (fcntl(report_fd, F_SETFD, FD_CLOEXEC) < 0) return 1;
    size_t len;
    char *buf = read_all(3, &len);
    if (!buf) fail_to(report_fd, 1, "config: read fd 3: %s", strerror(errno));
    close(3);
    parse_config(buf, len);

    // cgroup.procs files are opened now: in exec mode the monitor is about to enter the
    // container's mount namespace, where the host's paths no longer resolve.
    int cgroup_fds[16];
    for (int i = 0; i < cfg.cgroup_count; i++)
        if ((cgroup_fds[i] = open(cfg.cgroups[i], O_WRONLY | O_CLOEXEC)) < 0)
            fail_to(report_fd, 1, "cgroups: open %s: %s", cfg.cgroups[i], strerror(errno));

    // Namespaces to join (linux.namespaces[].path, or a running container's for exec) are
    // joined here, before the clone: a PID namespace applies only to children, and a namespace
    // owned by another user namespace can be joined only with the monitor's privileges, not from
    // inside the container's new user namespace. Berth orders them user first (for the
    // capabilities to join the rest) and mount last; a mount namespace is joined here only for
    // exec (the monitor must keep the host's paths otherwise).
    if (cfg.exec_mode) connect_console(report_fd);
    int join_fds[8];
    for (int i = 0; i < cfg.ns_join_count; i++)
        if ((join_fds[i] = open(cfg.ns_paths[i], O_RDONLY | O_CLOEXEC)) < 0)
            fail_to(report_fd, 1, "namespaces: open %s: %s", cfg.ns_paths[i], strerror(errno));
    for (int i = 0; i < cfg.ns_join_count; i++) {
        if (cfg.ns_join_types[i] == CLONE_NEWNS && !cfg.exec_mode) { close(join_fds[i]); continue; }
        if (setns(join_fds[i], cfg.ns_join_types[i]) < 0)
            fail_to(report_fd, 1, "namespaces: setns %s: %s", cfg.ns_paths[i], strerror(errno));
        close(join_fds[i]);
    }
    // Entering a user namespace grants capabilities in it, and the kernel then marks the process
    // not dumpable, which would lock its owner out of /proc/<pid>/ns until the entrypoint's
    // execve. A rootless container joins the per-user network namespace's user namespace and
    // must have its network wired before that execve, by the user that owns it: as a container
    // in a user namespace of its own is. (execve decides dumpability again.)
    for (int i = 0; i < cfg.ns_join_count; i++)
        if (cfg.ns_join_types[i] == CLONE_NEWUSER && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
            fail_to(report_fd, 1, "namespaces: prctl PR_SET_DUMPABLE: %s", strerror(errno));

    int log_pipes[2][2] = {{-1, -1}, {-1, -1}};
    if (cfg.log_path && !cfg.exec_mode) log_open(log_pipes);

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        fail_to(report_fd, 1, "monitor: socketpair: %s", strerror(errno));

    // A fork-like clone (no new stack): the child continues here, already inside every new
    // namespace, and becomes PID 1 of the new PID namespace.
    // The cgroup namespace is unshared by the child after the monitor has moved it into its
    // cgroup, so that the container sees its own cgroup as the root.
    long pid = syscall(SYS_clone, (unsigned long)(cfg.clone_flags & ~CLONE_NEWCGROUP) | SIGCHLD, NULL, NULL, NULL, NULL);
    if (pid < 0) fail_to(report_fd, 1, "namespaces: clone with flags %#x: %s", cfg.clone_flags, strerror(errno));
    if (pid == 0) {
        if (log_fd >= 0) {
            // dup2 clears close-on-exec on 1 and 2 only; the pipes' other descriptors close at exec.
            if (dup2(log_pipes[0][1], 1) < 0 || dup2(log_pipes[1][1], 2) < 0)
                fail_to(sv[1], 1, "logs: dup2: %s", strerror(errno));
        }
        close(sv[0]);
        sync_fd = sv[1];
        close(report_fd);
        container_main();
    }
    container_pid = (pid_t)pid;
    close(sv[1]);
    if (log_fd >= 0) {
        for (int i = 0; i < 2; i++) {
            close(log_pipes[i][1]);
            fcntl(log_pipes[i][0], F_SETFL, O_NONBLOCK);
            log_streams[i].fd = log_pipes[i][0];
        }
        if (cfg.log_max_files < 1) cfg.log_max_files = 1;
        // After the clone, so the container keeps the default: a reader of the tee that goes
        // away must not end the monitor (and with it the log).
        if (cfg.log_tee) signal(SIGPIPE, SIG_IGN);
    }
    if (console_fd >= 0) close(console_fd); // exec's console connection now belongs to the child
    struct sigaction sa = {0};
    sa.sa_handler = forward_signal;
    sa.sa_flags = SA_RESTART;
    int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
    for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaction(forwarded[i], &sa, NULL);

    write_id_maps(container_pid);
    // Into the cgroup before the container runs anything, so no process escapes its limits.
    for (int i = 0; i < cfg.cgroup_count; i++) {
        char pidtext[32];
        snprintf(pidtext, sizeof pidtext, "%d", container_pid);
        if (write(cgroup_fds[i], pidtext, strlen(pidtext)) < 0) {
            int err = errno;
            kill(container_pid, SIGKILL);
            while (waitpid(container_pid, NULL, 0) < 0 && errno == EINTR) {}
            errno = err;
            fail_to(report_fd, 1, "cgroups: add %d to %s: %s", container_pid, cfg.cgroups[i], strerror(errno));
        }
        close(cgroup_fds[i]);
    }
    if (write(sv[0], "g", 1) != 1) fail_to(report_fd, 1, "monitor: signal container: %s", strerror(errno));

    // The container reports "ready" (create) or an error, or closes the socket by exec'ing.
    char msg[1200];
    ssize_t n, total = 0;
    int pty_master = -1;
    for (;;) {
        while ((n = receive(sv[0], msg + total, sizeof msg - 1 - (size_t)total, &pty_master)) > 0) {
            if (pty_master >= 0 && msg[total] == 'T' && !terminal_marker_seen) {
                // The byte that carried the pty master is not part of the report.
                memmove(msg + total, msg + total + 1, (size_t)n - 1);
                n--;
                terminal_marker_seen = 1;
            }
            total += n;
            msg[total] = 0;
            if (strstr(msg, "ready\n") || strchr(msg, '\n')) break;
        }
        msg[total > 0 ? total : 0] = 0;
        // The container asks for its root file system to be served by fuse-overlayfs.
        if (strcmp(msg, "fuse\n") != 0) break;
        fuse_overlay_start(sv[0]);
        total = 0;
    }
    if (!strncmp(msg, "err ", 4)) {
        int status;
        while (waitpid(container_pid, &status, 0) < 0 && errno == EINTR) {}
        fuse_overlay_stop();
        if (write(report_fd, msg, strlen(msg)) < 0) {}
        _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
    }
    if (pty_master >= 0 && log_fd >= 0) {
        // With a terminal the container writes to the pty, not to the pipes: its output is read
        // from the master, as docker's json-file does it, all of it as stdout.
        close(log_streams[0].fd);
        fcntl(pty_master, F_SETFL, O_NONBLOCK);
        log_streams[0].fd = pty_master;
        if (cfg.log_tee) relay_start(pty_master);
    } else if (pty_master >= 0) {
        close(pty_master);
    }
    dprintf(report_fd, "pid %d\n", container_pid);
    close(report_fd);
    close(sv[0]);

    int status;
    if (log_fd >= 0) {
        status = log_wait();
    } else {
        for (;;) {
            pid_t r = waitpid(container_pid, &status, 0);
            if (r == container_pid) break;
            if (r < 0 && errno != EINTR) return 1;
        }
    }
    fuse_overlay_stop(); // before the status: whoever sees it may delete the container
    record_exit(status);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

// SwiftPM links every executable product through the Swift driver, which adds swiftrt.o; its
// image constructor registers Swift metadata with the runtime and so pulls all of libswiftCore
// (and libstdc++) into this C program: ~1.5 MiB of resident memory in every container's monitor
// and a slower start. berth-init has no Swift metadata, so it provides the two symbols swiftrt.o
// needs itself; with -static-executable (Package.swift) nothing else of the runtime is linked.
void swift_addNewDSOImage(const void *image);
void swift_addNewDSOImage(const void *image) { (void)image; }
int _swift_backtrace_isThunkFunction(const char *name);
int _swift_backtrace_isThunkFunction(const char *name) { (void)name; return 0; }
