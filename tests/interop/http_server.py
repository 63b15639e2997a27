#!/usr/bin/env python3
"""A static HTTP/1.0 server on the Linux kernel's TCP, for interop tests: like
`python3 -m http.server`, but with a listen backlog of 1024 (http.server's 5 would drop SYNs under
a hundred concurrent clients) and no per-request log. Usage: http_server.py ADDRESS PORT DIRECTORY"""
import functools
import http.server
import sys


class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 1024
    daemon_threads = True


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main():
    if len(sys.argv) != 4 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        sys.exit(0 if len(sys.argv) == 2 else 2)
    address, port, directory = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    handler = functools.partial(Quiet, directory=directory)
    with Server((address, port), handler) as server:
        print(f"serving {directory} on {address}:{port}", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
