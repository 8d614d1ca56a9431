#!/usr/bin/env python3
"""Console-socket listener for RuntimeTests: accepts one connection on the socket path given,
receives the pty master (SCM_RIGHTS), and copies everything the container writes to its terminal
to stdout until the terminal closes."""
import os
import socket
import sys

path = sys.argv[1]
server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(1)
open(path + ".ready", "w").close()
connection, _ = server.accept()
_, fds, _, _ = socket.recv_fds(connection, 1, 1)
master = fds[0]
while True:
    try:
        data = os.read(master, 4096)
    except OSError:  # EIO: every slave descriptor is closed
        break
    if not data:
        break
    sys.stdout.write(data.decode(errors="replace"))
sys.stdout.flush()
