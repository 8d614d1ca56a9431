// Writing a child's user-namespace ID maps through newuidmap/newgidmap (id-map.c), shared by the
// monitor (containers), the per-user network namespace holder and userns-exec (rootless unpack).
#ifndef BERTH_ID_MAP_H
#define BERTH_ID_MAP_H

#include <sys/types.h>

// Runs `helper PID <map triples>` (newuidmap or newgidmap; `map` is "inside outside count ..."
// separated by spaces or newlines) and waits for it: 0 when it exited 0, else -1. Its stdout goes
// to /dev/null; its stderr stays the caller's, where the helper explains a refusal.
int run_id_map_helper(const char *helper, pid_t pid, const char *map);

#endif
