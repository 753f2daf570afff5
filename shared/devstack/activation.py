"""Socket activation: a function gets its listening socket from the stack, as systemd hands one over.

The stack binds each function's port itself and keeps the socket open for the stack's lifetime.
The function process inherits it (``LISTEN_FDS``, which gunicorn under functions-framework
honours) instead of binding the port. So a restart never races another program for the port, and
while a Service is scaled to zero a request waits in the kernel's accept queue instead of being
refused: the stack sees it waiting and starts the function, which then accepts it. That is the
part Knative's activator plays in a cluster.

    python -m shared.devstack.activation FD -- ARGV…
"""

from __future__ import annotations

import os
import select
import socket
import sys
from collections.abc import Iterable

LISTEN_FDS_START = 3  # sd_listen_fds(3): passed sockets start at file descriptor 3
BACKLOG = 1024


def listening_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A TCP socket listening on ``port``, or on one the kernel picks."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    return sock


def activated(argv: list[str], sock: socket.socket) -> list[str]:
    """``argv`` run with ``sock`` as its one passed socket (spawn it with ``pass_fds``)."""
    return [sys.executable, "-m", __name__, str(sock.fileno()), "--", *argv]


def waiting(sockets: Iterable[socket.socket], timeout: float = 0.0) -> list[socket.socket]:
    """The sockets with a connection in their accept queue that no process has taken yet."""
    pending = list(sockets)
    if not pending:
        return []
    readable, _, _ = select.select(pending, [], [], timeout)
    return readable


def main(args: list[str]) -> None:
    if len(args) < 3 or args[1] != "--":
        sys.exit("usage: python -m shared.devstack.activation FD -- ARGV…")
    fd = int(args[0])
    if fd != LISTEN_FDS_START:
        os.dup2(fd, LISTEN_FDS_START)
        os.close(fd)
    os.environ["LISTEN_FDS"] = "1"
    os.environ["LISTEN_PID"] = str(os.getpid())  # exec keeps the pid
    argv = args[2:]
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main(sys.argv[1:])
