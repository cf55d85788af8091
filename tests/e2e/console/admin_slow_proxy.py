#!/usr/bin/env python3
"""test_console_admin.sh: a web service that answers, slowly. A TCP proxy
on 127.0.0.1 in front of the real one that holds each answer DELAY seconds
(CORS preflights pass at once) and logs every request line it forwards, so
the test can see a retry arrive. Requests whose line holds PATTERN are held
LONG seconds instead (room for the test to press Retry before the answer).
Prints its port, then serves until killed.

usage: admin_slow_proxy.py TARGET_PORT DELAY LOG [PATTERN LONG]
"""
import socket
import sys
import threading
import time

target, delay, log = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
pattern = sys.argv[4] if len(sys.argv) > 5 else None
long_delay = float(sys.argv[5]) if len(sys.argv) > 5 else delay
lock = threading.Lock()


def close(*socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def upstream(client, server, waits):
    """client -> server; notes how long the answer to come is to be held"""
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            method = data.split(b" ", 1)[0]
            if method in (b"GET", b"POST", b"DELETE", b"PUT", b"HEAD", b"OPTIONS"):
                line = data.split(b"\r\n", 1)[0].decode("latin-1")
                with lock, open(log, "a") as f:
                    f.write(line + "\n")
                if method == b"OPTIONS":
                    waits.append(0)
                elif pattern and pattern in line:
                    waits.append(long_delay)
                else:
                    waits.append(delay)
            server.sendall(data)
        server.shutdown(socket.SHUT_WR)
    except OSError:
        close(client, server)


def downstream(server, client, waits):
    """server -> client; the first bytes of each answer wait their time"""
    try:
        while True:
            data = server.recv(65536)
            if not data:
                break
            if waits:
                hold = waits.pop(0)
                if hold:
                    time.sleep(hold)
            client.sendall(data)
        client.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    close(client, server)


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(128)
print(listener.getsockname()[1], flush=True)
while True:
    client, _ = listener.accept()
    try:
        server = socket.create_connection(("127.0.0.1", target))
    except OSError:
        client.close()
        continue
    waits = []
    threading.Thread(target=upstream, args=(client, server, waits), daemon=True).start()
    threading.Thread(target=downstream, args=(server, client, waits), daemon=True).start()
