"""A small TCP proxy on loopback that can cut a connection: the server dropping us mid-fetch, or before a mark.

`cut_after_bytes` closes a connection once that many bytes went from the server to the client;
`cut_on_command` closes it when the client sends a command containing those bytes (before it reaches the
server). Each rule fires once, then later connections pass through untouched.
"""

from __future__ import annotations

import socket
import threading


class CuttingProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut_after_bytes: int | None = None
        self.cut_on_command: bytes | None = None
        self.cuts = 0
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.listener.close()
        for sock in list(self._open):
            _shut(sock)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream)
            self._open += [client, server]
            state = {"down": 0}
            threading.Thread(target=self._pump, args=(server, client, state, "down"), daemon=True).start()
            threading.Thread(target=self._pump, args=(client, server, state, "up"), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, state: dict, direction: str) -> None:
        try:
            while data := source.recv(4096):
                if direction == "up" and self._should_cut_command(data):
                    break
                if direction == "down":
                    limit = self._limit_left(state, len(data))
                    if limit is not None:
                        target.sendall(data[:limit])
                        break
                target.sendall(data)
        except OSError:
            pass
        _shut(source)
        _shut(target)

    def _should_cut_command(self, data: bytes) -> bool:
        with self._lock:
            if self.cut_on_command and self.cut_on_command in data.upper():
                self.cut_on_command, self.cuts = None, self.cuts + 1
                return True
        return False

    def _limit_left(self, state: dict, size: int) -> int | None:
        """How many bytes of this chunk may still pass before the cut; None: no cut in this chunk."""
        with self._lock:
            if self.cut_after_bytes is None:
                return None
            left = self.cut_after_bytes - state["down"]
            state["down"] += size
            if size < left:
                return None
            self.cut_after_bytes, self.cuts = None, self.cuts + 1
            return max(left, 0)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
