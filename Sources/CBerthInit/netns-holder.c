// berth-init netns-holder: the rootless network namespace of one user (issue 5).
//
//   berth-init netns-holder SOCKET PIDFILE NEWUIDMAP NEWGIDMAP UIDMAP GIDMAP [SLIRP4NETNS]
//
// Makes a user namespace U0 mapped like every rootless container (UIDMAP/GIDMAP, written by the
// setuid helpers from /etc/subuid), a network namespace owned by U0 that holds the user's
// bridges, and serves sockets made inside them on the unix socket SOCKET: rtnetlink checks the
// credentials of a socket's opener, which are root in U0, so `berth` (unprivileged, and
// multithreaded, so it cannot enter a user namespace itself) drives its bridges and veths
// with the same Swift netlink code as rootful, over sockets it gets from here.
//
// Rootless containers join U0 instead of making a user namespace of their own, so their network
// namespaces are owned by U0 too, and a socket opened inside one (by a child of the holder that
// enters it) may change its links.
//
// Requests are one fixed record; the answer is an errno (0 on success) with the descriptor in an
// SCM_RIGHTS message:
//   op 1  socket(domain, type, protocol) in the holder's network namespace
//   op 2  the same inside the network namespace of process `pid`
//   op 3  exit (the last rootless network is gone)
//   op 4  `pid` (1 to 16) sockets like op 1 at once, all in one SCM_RIGHTS message: a port
//         forwarder keeps a few in stock, so a new connection costs no round trip to the holder
// The invoking process exits 0 once the holder listens (after writing PIDFILE), or 1 with the
// reason on stderr; the holder itself is detached and lives until op 3 or SIGTERM.
//
// Outbound: with SLIRP4NETNS, the invoker starts it on the holder's namespace (`tap0`, a
// default route to the world through user-mode NAT) and the holder turns on forwarding inside
// its own namespace (the Engine puts each bridge's isolation and masquerade rules there).
// slirp4netns ends when the holder does: it watches a pipe only the holder writes to. If it
// cannot start, the holder runs on without a way out (no tap0), which the Engine reports.
// Where the kernel has IPv6, slirp4netns also gets --enable-ipv6: tap0 then takes an fd00::/64
// address and a default route from slirp's router advertisements, which a namespace that
// forwards accepts only with accept_ra=2 (set on `default` before tap0 exists), and bridges of
// networks with enable_ipv6 are masqueraded out through it like IPv4 ones.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "id-map.h"

struct holder_request { int32_t op, domain, type, protocol, pid; };

static void die(int fd, const char *what) {
    char text[512];
    int n = snprintf(text, sizeof text, "netns holder: %s: %s\n", what, strerror(errno));
    if (fd >= 0 && n > 0) { ssize_t ignored = write(fd, text, (size_t)n); (void)ignored; }
    _exit(1);
}

#define MAX_BATCH 16

static void send_answers(int conn, int32_t error, const int *fds, int count) {
    struct msghdr msg = {0};
    struct iovec iov = { &error, sizeof error };
    char control[CMSG_SPACE(MAX_BATCH * sizeof(int))];
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    if (count > 0) {
        memset(control, 0, sizeof control);
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE((size_t)count * sizeof(int));
        struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
        cmsg->cmsg_level = SOL_SOCKET;
        cmsg->cmsg_type = SCM_RIGHTS;
        cmsg->cmsg_len = CMSG_LEN((size_t)count * sizeof(int));
        memcpy(CMSG_DATA(cmsg), fds, (size_t)count * sizeof(int));
    }
    while (sendmsg(conn, &msg, MSG_NOSIGNAL) < 0 && errno == EINTR) {}
}

static void send_answer(int conn, int32_t error, int fd) { send_answers(conn, error, &fd, fd >= 0 ? 1 : 0); }

static void serve(int conn) {
    struct holder_request req;
    ssize_t n;
    while ((n = read(conn, &req, sizeof req)) < 0 && errno == EINTR) {}
    if (n != (ssize_t)sizeof req) return;
    if (req.op == 3) { send_answer(conn, 0, -1); _exit(0); }
    if (req.op == 1) {
        int fd = socket(req.domain, req.type | SOCK_CLOEXEC, req.protocol);
        send_answer(conn, fd < 0 ? errno : 0, fd);
        if (fd >= 0) close(fd);
        return;
    }
    if (req.op == 4) {
        if (req.pid < 1 || req.pid > MAX_BATCH) { send_answer(conn, EINVAL, -1); return; }
        int fds[MAX_BATCH], count = 0;
        int32_t error = 0;
        while (count < req.pid) {
            int fd = socket(req.domain, req.type | SOCK_CLOEXEC, req.protocol);
            if (fd < 0) { error = errno; break; }
            fds[count++] = fd;
        }
        // Some sockets are an answer (the caller asks again when it needs more); none is the error.
        send_answers(conn, count > 0 ? 0 : error, fds, count);
        for (int i = 0; i < count; i++) close(fds[i]);
        return;
    }
    if (req.op != 2) { send_answer(conn, EINVAL, -1); return; }
    // setns moves the caller: a child enters, opens the socket, answers, and ends.
    pid_t child = fork();
    if (child < 0) { send_answer(conn, errno, -1); return; }
    if (child == 0) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/net", req.pid);
        int ns = open(path, O_RDONLY | O_CLOEXEC);
        if (ns < 0 || setns(ns, CLONE_NEWNET) < 0) { send_answer(conn, errno, -1); _exit(0); }
        int fd = socket(req.domain, req.type | SOCK_CLOEXEC, req.protocol);
        send_answer(conn, fd < 0 ? errno : 0, fd);
        _exit(0);
    }
    while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {}
}

// Whether this kernel has IPv6 (it may be disabled at boot with ipv6.disable=1).
static int has_ipv6(void) { return access("/proc/sys/net/ipv6", F_OK) == 0; }

// Writes `value` to the sysctl file `path`; 0 on success.
static int write_sysctl(const char *path, const char *value) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = write(fd, value, strlen(value));
    close(fd);
    return n == (ssize_t)strlen(value) ? 0 : -1;
}

static void start_slirp(const char *slirp, pid_t holder, int lifeline[2]) {
    close(lifeline[1]);
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) < 0) return;
    pid_t child = fork();
    if (child < 0) return;
    if (child == 0) {
        // Fixed descriptors 3 and 4, without close-on-exec, for --exit-fd and --ready-fd: moved
        // out of the way first (either may already be 3 or 4), and dup2 onto itself would keep
        // close-on-exec, so the flags are cleared explicitly.
        int exit_fd = fcntl(lifeline[0], F_DUPFD_CLOEXEC, 10), ready_fd = fcntl(ready[1], F_DUPFD_CLOEXEC, 10);
        if (exit_fd < 0 || ready_fd < 0 || dup2(exit_fd, 3) < 0 || dup2(ready_fd, 4) < 0) _exit(127);
        if (fcntl(3, F_SETFD, 0) < 0 || fcntl(4, F_SETFD, 0) < 0) _exit(127);
        setsid();
        char user[64], net[64];
        snprintf(user, sizeof user, "--userns-path=/proc/%d/ns/user", holder);
        snprintf(net, sizeof net, "/proc/%d/ns/net", holder);
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) { dup2(null, 0); dup2(null, 1); dup2(null, 2); }
        char *args[] = { (char *)slirp, "--configure", "--mtu=65520", "--disable-host-loopback", "--exit-fd=3",
                         "--ready-fd=4", "--netns-type=path", user, net, "tap0", NULL, NULL };
        if (has_ipv6()) {
            // Inserted before the positional arguments (the namespace path and the tap name).
            memmove(&args[8], &args[7], 3 * sizeof args[0]);
            args[7] = "--enable-ipv6";
        }
        execv(slirp, args);
        _exit(127);
    }
    close(lifeline[0]);
    close(ready[1]);
    // Bounded by slirp4netns itself: it writes "1" once tap0 is configured, or exits.
    char byte;
    while (read(ready[0], &byte, 1) < 0 && errno == EINTR) {}
    close(ready[0]);
}

int netns_holder_main(int argc, char **argv) {
    if (argc != 8 && argc != 9) {
        fprintf(stderr, "usage: berth-init netns-holder SOCKET PIDFILE NEWUIDMAP NEWGIDMAP UIDMAP GIDMAP [SLIRP4NETNS]\n");
        return 2;
    }
    // A daemon must hold nothing of whoever started it: a pipe of its caller's caller kept open
    // here would keep that caller's reader waiting for an end of file that never comes.
    if (syscall(SYS_close_range, 3U, ~0U, 0U) < 0)
        for (int fd = 3; fd < 1024; fd++) close(fd);
    const char *socket_path = argv[2], *pid_file = argv[3], *slirp = argc == 9 ? argv[8] : NULL;
    int lifeline[2] = {-1, -1};  // the holder keeps the write end; slirp4netns exits when it closes
    if (slirp && pipe2(lifeline, O_CLOEXEC) < 0) die(2, "pipe");
    int sync[2];  // holder → invoker: "ready" or the reason it is not; invoker → holder: maps written
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) < 0) die(2, "socketpair");
    pid_t holder = fork();
    if (holder < 0) die(2, "fork");
    if (holder == 0) {
        close(sync[0]);
        int report = sync[1];
        if (setsid() < 0) die(report, "setsid");
        if (unshare(CLONE_NEWUSER) < 0) die(report, "unshare CLONE_NEWUSER");
        char go = 1;
        if (write(report, &go, 1) != 1 || read(report, &go, 1) != 1 || go != 1) _exit(1);
        if (setresgid(0, 0, 0) < 0) die(report, "setresgid 0");
        if (setresuid(0, 0, 0) < 0) die(report, "setresuid 0");
        if (unshare(CLONE_NEWNET) < 0) die(report, "unshare CLONE_NEWNET");
        if (slirp) {
            close(lifeline[0]);
            // Only this namespace forwards; the host's setting is untouched.
            if (write_sysctl("/proc/sys/net/ipv4/ip_forward", "1") < 0) die(report, "write /proc/sys/net/ipv4/ip_forward");
            // IPv6 is best effort: without it the namespace still has its IPv4 way out.
            if (has_ipv6() && write_sysctl("/proc/sys/net/ipv6/conf/all/forwarding", "1") == 0)
                (void)write_sysctl("/proc/sys/net/ipv6/conf/default/accept_ra", "2");
        }
        // lo up: the DNS server and the forwarder will listen inside.
        int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = {0};
        strcpy(ifr.ifr_name, "lo");
        if (sock < 0 || ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) die(report, "ioctl SIOCGIFFLAGS lo");
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) die(report, "ioctl SIOCSIFFLAGS lo");
        close(sock);

        int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        if (listener < 0 || strlen(socket_path) >= sizeof addr.sun_path) die(report, "socket path");
        strcpy(addr.sun_path, socket_path);
        unlink(socket_path);
        mode_t old = umask(0077);
        if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0) die(report, "bind");
        umask(old);
        if (listen(listener, 16) < 0) die(report, "listen");
        char tmp[4096], text[32];
        snprintf(tmp, sizeof tmp, "%s.tmp", pid_file);
        int n = snprintf(text, sizeof text, "%d\n", getpid());
        int fd = open(tmp, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
        if (fd < 0 || write(fd, text, (size_t)n) != n || rename(tmp, pid_file) < 0) die(report, "pid file");
        close(fd);
        signal(SIGPIPE, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        if (write(report, "ok", 2) != 2) _exit(1);
        close(report);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0) { dup2(null, 0); dup2(null, 1); dup2(null, 2); }
        for (;;) {
            int conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
            if (conn < 0) { if (errno == EINTR || errno == ECONNABORTED) continue; _exit(1); }
            serve(conn);
            close(conn);
        }
    }
    close(sync[1]);
    char go;
    if (read(sync[0], &go, 1) != 1) return 1;
    int mapped = run_id_map_helper(argv[4], holder, argv[6]) == 0 && run_id_map_helper(argv[5], holder, argv[7]) == 0;
    go = mapped ? 1 : 0;
    if (write(sync[0], &go, 1) != 1 || !mapped) {
        fprintf(stderr, "netns holder: %s/%s %d failed (check /etc/subuid and /etc/subgid)\n", argv[4], argv[5], holder);
        kill(holder, SIGKILL);
        return 1;
    }
    char answer[512] = {0};
    ssize_t n = read(sync[0], answer, sizeof answer - 1);
    if (n != 2 || memcmp(answer, "ok", 2) != 0) {
        fprintf(stderr, "%s", n > 0 ? answer : "netns holder: exited before listening\n");
        return 1;
    }
    if (slirp) start_slirp(slirp, holder, lifeline);
    return 0;
}
