#!/usr/bin/env python3
"""Rewrites an Ethernet pcap (classic format) the ways captures come in the wild, for the replay
test: --vlan ID adds an 802.1Q tag to every frame, --sll turns it into a Linux cooked capture,
--snaplen N cuts every frame to N bytes (keeping its original length), --arp adds an ARP frame
before the first one (something to skip).
usage: convert.py IN OUT (--vlan ID | --sll | --snaplen N | --arp)"""
import struct
import sys


def main():
    if len(sys.argv) < 4:
        print(__doc__)
        sys.exit(2)
    src, dst, how = sys.argv[1], sys.argv[2], sys.argv[3]
    arg = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    data = open(src, "rb").read()
    endian = "<" if struct.unpack("<I", data[:4])[0] in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    header = bytearray(data[:24])
    if how == "--sll":
        header[20:24] = struct.pack(endian + "I", 113)  # LINKTYPE_LINUX_SLL
    records, offset = [], 24
    while offset + 16 <= len(data):
        sec, usec, caplen, length = struct.unpack(endian + "IIII", data[offset:offset + 16])
        frame = data[offset + 16:offset + 16 + caplen]
        offset += 16 + caplen
        if how == "--vlan":
            frame = frame[:12] + struct.pack("!HH", 0x8100, arg) + frame[12:]
            length += 4
        elif how == "--sll":  # outgoing or incoming, ARPHRD_ETHER, the source MAC, the EtherType
            frame = struct.pack("!HHH", 0, 1, 6) + frame[6:12] + b"\0\0" + frame[12:14] + frame[14:]
            length += 2
        elif how == "--snaplen":
            frame = frame[:arg]
        records.append((sec, usec, frame, length))
    if how == "--arp":
        sec, usec, _, _ = records[0]
        arp = bytes.fromhex("ffffffffffff020000790001080600010800060400010200007900010a4f00010000000000000a4f0002") + bytes(18)
        records.insert(0, (sec, usec, arp, len(arp)))
    with open(dst, "wb") as out:
        out.write(header)
        for sec, usec, frame, length in records:
            out.write(struct.pack(endian + "IIII", sec, usec, len(frame), length) + frame)


if __name__ == "__main__":
    main()
