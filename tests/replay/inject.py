#!/usr/bin/env python3
"""Writes a copy of a pcap (Ethernet, classic format) with the acknowledgement number of one TCP
segment changed: the Nth segment (1-based) sent from IP:PORT gets ACK+DELTA. For the replay test
that checks a divergence put there on purpose is reported at that segment.
usage: inject.py IN OUT IP:PORT N DELTA"""
import socket
import struct
import sys


def main():
    if len(sys.argv) != 6:
        print(__doc__)
        sys.exit(2)
    src, dst, endpoint, nth, delta = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    ip, port = endpoint.rsplit(":", 1)
    data = bytearray(open(src, "rb").read())
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    offset, seen = 24, 0
    while offset + 16 <= len(data):
        caplen = struct.unpack(endian + "I", data[offset + 8:offset + 12])[0]
        frame = offset + 16
        if struct.unpack("!H", data[frame + 12:frame + 14])[0] == 0x0800 and data[frame + 23] == 6:
            ihl = (data[frame + 14] & 0x0F) * 4
            tcp = frame + 14 + ihl
            if socket.inet_ntoa(bytes(data[frame + 26:frame + 30])) == ip and \
                    struct.unpack("!H", data[tcp:tcp + 2])[0] == int(port):
                seen += 1
                if seen == nth:
                    ack = struct.unpack("!I", data[tcp + 8:tcp + 12])[0]
                    data[tcp + 8:tcp + 12] = struct.pack("!I", (ack + delta) & 0xFFFFFFFF)
                    open(dst, "wb").write(data)
                    return
        offset = frame + caplen
    sys.exit(f"inject.py: {src} has fewer than {nth} segments from {endpoint}")


if __name__ == "__main__":
    main()
