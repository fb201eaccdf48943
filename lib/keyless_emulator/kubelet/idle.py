"""Store apps stopped while nobody uses them, started again by the next connection (socket activation).

Why: an idle attendee's store (three apps) held about 48 MiB PSS, nearly all of an attendee's share
of a workshop machine. A stopped app holds none; its listening socket stays open in the kubelet.

How, and what stays as on AKS:
- The kubelet binds each app container's local port itself and hands the listening socket to the
  app (fd 3; `storeapps.pod_runtime.serve` serves on it), as systemd's socket activation does.
- Every `IDLE_CHECK` seconds `PortActivity` reads the kernel's TCP table: a port with a connection
  open or closing, one waiting to be accepted, or one that closed since the previous look is in
  use. An app whose port was not in use for `KubeletSettings.idle_stop` seconds is stopped
  (SIGTERM, as a pod's stop).
- The socket stays open meanwhile, so a connection to the stopped app waits in its backlog; the
  kubelet, watching the socket, starts the app again with the same socket, environment, token
  files and log, and the app accepts the waiting connection: the first request waits for the
  start (about a second), none is refused.
- The pod is unchanged to the Kubernetes API: the container stays `running` and ready, with the
  same `startedAt`, no restart counted and no event; `kubectl logs` shows the app's own shutdown and
  start lines, which are the only trace.
- Where the TCP table cannot be read (not Linux), nothing is stopped.
"""
from __future__ import annotations

IDLE_CHECK = 2.0
TCP_TABLE = "/proc/net/tcp"
LOOPBACK_HEX = "0100007F"  # 127.0.0.1 as /proc/net/tcp writes it (little-endian)
LISTEN, TIME_WAIT, CLOSE = "0A", "06", "07"


class PortActivity:
    """Which app ports were in use since the previous look, from the kernel's TCP table: a connection
    from or to the port that is open or closing, one waiting in the listener's backlog, or one that
    closed since the previous look (a TIME_WAIT entry not seen before: a request shorter than the
    period between two looks still counts)."""

    def __init__(self, table: str = TCP_TABLE):
        self.table = table
        self._closed: set[tuple[str, str]] = set()

    def busy(self, ports: set[int]) -> set[int] | None:
        """The ports of `ports` (on 127.0.0.1) in use; None when the table cannot be read."""
        try:
            with open(self.table) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            return None
        busy: set[int] = set()
        closed: set[tuple[str, str]] = set()
        for line in lines:
            fields = line.split()
            if len(fields) < 5:
                continue
            (local_ip, local_hex), (remote_ip, remote_hex) = (a.split(":") for a in fields[1:3])
            local, remote, state = int(local_hex, 16), int(remote_hex, 16), fields[3]
            mine = {p for ip, p in ((local_ip, local), (remote_ip, remote)) if ip == LOOPBACK_HEX and p in ports}
            if not mine:
                continue
            if state == LISTEN:
                if int(fields[4].split(":")[1], 16):  # connections waiting to be accepted
                    busy |= mine
            elif state in (TIME_WAIT, CLOSE):
                closed.add((fields[1], fields[2]))
                if (fields[1], fields[2]) not in self._closed:
                    busy |= mine
            else:
                busy |= mine
        self._closed = closed
        return busy
