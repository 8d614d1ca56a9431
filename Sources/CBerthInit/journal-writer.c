// The journald logging driver's writer: a container's output lines as journal entries, sent in
// journald's native protocol (what sd_journal_sendv writes, see systemd's "Native Journal
// Protocol"): one datagram per entry on /run/systemd/journal/socket, fields as `KEY=value\n`,
// MESSAGE in the binary form (`MESSAGE\n`, a 64-bit little-endian length, the bytes, `\n`) so a
// line may hold any byte. berth-init is a static executable and Debian ships no static
// libsystemd, hence the protocol by hand; `berth logs` reads the entries back through libsystemd.
//
// The fields every entry of a container carries (CONTAINER_ID, CONTAINER_NAME, …, as docker's
// journald driver sets them) come from the launch configuration (`logfield KEY=VALUE`); the
// monitor adds PRIORITY (6 stdout, 3 stderr, as docker) and CONTAINER_PARTIAL_MESSAGE for a
// line cut at 16 KiB. Kept apart from berth-init.c so that file's other changes merge cleanly.

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "journal-writer.h"

// "KEY=value\n" for each field every entry carries; static, so a monitor without the driver
// touches none of it.
static char journal_fields[8192];
static size_t journal_fields_len;

int journal_connect(const char *path) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path) { errno = ENAMETOOLONG; return -1; }
    strcpy(addr.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    // Lines may be up to 16 KiB; journald's default receive buffer takes them, and a larger
    // send buffer keeps a burst from blocking the container behind a busy journald.
    int size = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    return fd;
}

// journald's rule for field names: A-Z, 0-9 and _, not starting with _ or a digit (a leading
// underscore is for fields journald itself sets), at most 64 bytes.
static int journal_valid_key(const char *key, size_t n) {
    if (n == 0 || n > 64 || key[0] == '_' || (key[0] >= '0' && key[0] <= '9')) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = key[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return 0;
    }
    return 1;
}

int journal_add_field(const char *field) {
    const char *eq = strchr(field, '=');
    size_t n = strlen(field);
    if (!eq || !journal_valid_key(field, (size_t)(eq - field)) || memchr(field, '\n', n)) { errno = EINVAL; return -1; }
    if (journal_fields_len + n + 1 > sizeof journal_fields) { errno = E2BIG; return -1; }
    memcpy(journal_fields + journal_fields_len, field, n);
    journal_fields[journal_fields_len + n] = '\n';
    journal_fields_len += n + 1;
    return 0;
}

void journal_send(int fd, int priority, const char *line, size_t n) {
    // docker's driver drops the newline; a line without one is a piece of a longer line.
    int partial = !(n > 0 && line[n - 1] == '\n');
    if (!partial) n--;
    char head[32];
    size_t head_len = (size_t)(priority == 3 ? sizeof "PRIORITY=3\n" : sizeof "PRIORITY=6\n") - 1;
    memcpy(head, priority == 3 ? "PRIORITY=3\n" : "PRIORITY=6\n", head_len);
    static const char partial_field[] = "CONTAINER_PARTIAL_MESSAGE=true\n";
    unsigned char length[8];
    for (int i = 0; i < 8; i++) length[i] = (unsigned char)((uint64_t)n >> (8 * i));
    struct iovec iov[7];
    int count = 0;
    iov[count++] = (struct iovec){head, head_len};
    iov[count++] = (struct iovec){journal_fields, journal_fields_len};
    if (partial) iov[count++] = (struct iovec){(void *)partial_field, sizeof partial_field - 1};
    iov[count++] = (struct iovec){"MESSAGE\n", 8};
    iov[count++] = (struct iovec){length, 8};
    iov[count++] = (struct iovec){(void *)line, n};
    iov[count++] = (struct iovec){"\n", 1};
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)count};
    // A journald that went away loses lines, never the container (as a full disk does for
    // json-file): errors other than an interrupted call are not retried.
    while (sendmsg(fd, &msg, MSG_NOSIGNAL) < 0 && errno == EINTR) {}
}
