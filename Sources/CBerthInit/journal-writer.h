// The journald logging driver's writer (journal-writer.c).
#ifndef BERTH_JOURNAL_WRITER_H
#define BERTH_JOURNAL_WRITER_H

#include <stddef.h>

// A datagram socket connected to journald's native socket at `path`; -1 with errno set.
int journal_connect(const char *path);
// Adds `KEY=value` to the fields every entry carries; -1 (EINVAL) for a name journald refuses or
// a value with a newline, -1 (E2BIG) when the fields are full.
int journal_add_field(const char *field);
// Sends one output line (with its newline; without one it is a partial line) as an entry with
// PRIORITY `priority` (6 stdout, 3 stderr).
void journal_send(int fd, int priority, const char *line, size_t n);

#endif
