#!/usr/bin/env python3
"""The Linux kernel's side of a scripted TCP conversation: the steps of apps/mtcpp-tcp, on
ordinary sockets, printing each call and its result in the same words.

usage: peer.py [--cc NAME] (--connect IP:PORT | --listen IP:PORT) [STEP ...]
steps: write:N read:N drain shutdown:wr|rd|rdwr linger0 close sleep:MS
--cc NAME: the kernel's congestion control for the connection (TCP_CONGESTION, e.g. cubic)"""
import errno
import socket
import struct
import sys
import time


PERIOD = bytes(range(251)) * 300  # the stream pattern: any 64 KiB of it is a slice


def pattern(offset, n):
    """Bytes offset..offset+n of the stream: byte i is i % 251."""
    start = offset % 251
    return PERIOD[start:start + n] if n <= len(PERIOD) - 251 else bytes((offset + i) % 251 for i in range(n))


def name(e):
    return errno.errorcode.get(e.errno, "E?") if isinstance(e, OSError) and e.errno else type(e).__name__


def main():
    args = sys.argv[1:]
    if not args or args[0] in ("-h", "--help") or len(args) < 2:
        print(__doc__)
        sys.exit(0 if args and args[0] in ("-h", "--help") else 2)
    cc = None
    if args[0] == "--cc" and len(args) >= 4:
        cc, args = args[1].encode(), args[2:]
    mode, where, steps = args[0], args[1], args[2:]
    host, port = where.rsplit(":", 1)
    if mode == "--connect":
        s = socket.socket()
        if cc:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc)
        s.settimeout(10)
        try:
            s.connect((host, int(port)))
            print("connect=0", flush=True)
        except OSError as e:
            print(f"connect=-1 {name(e)}", flush=True)
            return
    elif mode == "--listen":
        l = socket.socket()
        l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if cc:
            l.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc)  # accepted sockets inherit it
        l.bind((host, int(port)))
        l.listen(16)
        print(f"listening on {port}", flush=True)
        l.settimeout(10)
        s, _ = l.accept()
        print("accept=0", flush=True)
        l.close()
    else:
        print(__doc__)
        sys.exit(2)
    s.settimeout(10)
    counter = 0  # offset of the next byte written; byte i of the stream is i % 251
    received = 0  # offset of the next byte read
    mismatch = None
    for step in steps:
        verb, _, arg = step.partition(":")
        if verb == "write":
            left, done = int(arg), 0
            try:
                while left:
                    chunk = pattern(counter, min(left, 65536))
                    n = s.send(chunk)
                    counter, done, left = counter + n, done + n, left - n
                print(f"write={done}")
            except OSError as e:
                print(f"write={done} then -1 {name(e)}")
        elif verb in ("read", "drain"):
            want = int(arg) if verb == "read" else None
            started = time.monotonic()
            got = 0
            try:
                while want is None or got < want:
                    data = s.recv(65536 if want is None else min(65536, want - got))
                    if not data:
                        print(f"read={got} then 0")
                        break
                    if mismatch is None and data != pattern(received, len(data)):
                        mismatch = received + next(i for i, b in enumerate(data) if b != (received + i) % 251)
                    received += len(data)
                    got += len(data)
                else:
                    print(f"read={got}")
            except OSError as e:
                print(f"read={got} then -1 {name(e)}")
            if mismatch is not None:
                print(f"MISMATCH at {mismatch}")
            print(f"read-seconds={time.monotonic() - started:.6f}")
        elif verb == "shutdown":
            how = {"rd": socket.SHUT_RD, "wr": socket.SHUT_WR}.get(arg, socket.SHUT_RDWR)
            try:
                s.shutdown(how)
                print("shutdown=0")
            except OSError as e:
                print(f"shutdown=-1 {name(e)}")
        elif verb == "linger0":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            print("linger0=0")
        elif verb == "close":
            s.close()
            print("close=0")
        elif verb == "sleep":
            time.sleep(int(arg) / 1000)
            print(f"sleep={arg}")
        else:
            print(f"peer.py: unknown step {step}", file=sys.stderr)
            sys.exit(2)
        sys.stdout.flush()


if __name__ == "__main__":
    main()
