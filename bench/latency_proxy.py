"""A loopback TCP proxy that adds a fixed delay to every request, as a model of the round
trip to an AWS endpoint (moto on loopback answers in about 2 ms; AWS APIs take tens of
milliseconds). Used by bench/rollout.py to show what a rollout's concurrency buys when
calls are not free; it forwards bytes unchanged to the upstream 127.0.0.1 port.

Usage: python bench/latency_proxy.py LISTEN_PORT UPSTREAM_PORT DELAY_MS
"""
import socket
import sys
import threading
import time


class Connection:
    """One client connection: a request starts with the first client bytes after the server
    has answered (or at connect), and only that chunk waits, so a large upload costs one
    round trip, not one per chunk."""

    def __init__(self):
        self.new_request = True
        self.lock = threading.Lock()

    def client_sent(self):
        with self.lock:
            starts, self.new_request = self.new_request, False
        return starts

    def server_sent(self):
        with self.lock:
            self.new_request = True


def pipe(src, dst, on_data):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            on_data()
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def main():
    listen, upstream, delay_ms = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", listen))
    server.listen(256)
    while True:
        client, _ = server.accept()
        backend = socket.create_connection(("127.0.0.1", upstream))
        conn = Connection()
        delay = delay_ms / 1000

        def request_bytes(conn=conn, delay=delay):
            if conn.client_sent():
                time.sleep(delay)  # one round trip's worth per call

        threading.Thread(target=pipe, args=(client, backend, request_bytes), daemon=True).start()
        threading.Thread(target=pipe, args=(backend, client, conn.server_sent), daemon=True).start()


if __name__ == "__main__":
    main()
