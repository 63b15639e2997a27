#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/), record by record in the
formats stack_input.cc and two_stacks.cc read. Run it again after changing a format. Files
named regression-* there are the fuzzers' findings, kept as found (this script leaves them)."""
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))
ACK, PSH, FIN, SYN, RST = 0x10, 0x08, 0x01, 0x02, 0x04


def u16(v):
    return struct.pack("<H", v & 0xFFFF)


# ---- stack_input: 0 segment, 1 raw frame, 2 time, 3 call --------------------------------------
def segment(flags, seq8=0, ack8=0, window=65535, payload=b"", port=0, ts=False, sack=None):
    options = (8 if ts else 0) | (16 if sack else 0)
    out = bytes([0, port, flags]) + u16(seq8) + u16(ack8) + u16(window) + bytes([options])
    if ts:
        out += bytes([0])
    if sack:
        out += bytes([len(sack) - 1]) + b"".join(u16(l) + u16(n) for l, n in sack)
    return out + bytes([len(payload)]) + payload


def time(ms):
    return bytes([2]) + u16(ms)


def call(op, sel=1, *args):
    return bytes([3, op, sel]) + b"".join(args)


stack_seeds = {
    "data-both-ways-and-close": segment(ACK | PSH, payload=b"GET / HTTP/1.0\r\n\r\n")
    + call(1, 1, u16(100), b"\x00")
    + call(0, 1, u16(3000))
    + time(50)
    + segment(ACK, ack8=375)
    + call(3, 1)
    + time(100)
    + segment(FIN | ACK, seq8=2, ack8=376),
    "out-of-order-and-sack": segment(ACK, seq8=200, payload=b"x" * 100)
    + segment(ACK, seq8=100, payload=b"y" * 100)
    + segment(ACK, payload=b"z" * 200)
    + call(0, 1, u16(10000))
    + segment(ACK, sack=[(10, 100)])
    + time(300),
    "resets-and-new-syn": segment(RST, seq8=1)
    + segment(RST)
    + segment(SYN, port=1)
    + call(5)
    + segment(SYN, port=1, seq8=5)
    + time(2000),
    "zero-window": call(0, 1, u16(20000)) + segment(ACK, ack8=100, window=0) + time(5000) + segment(ACK, ack8=200, window=1000),
    "connect-out": call(6, 0, b"\x01") + time(1000) + call(3, 2) + time(3000),
}

# ---- two_stacks: first byte corruption; 0 send, 1 recv, 2 time, 3 link, 4 end, 5 again ------
def send(side, n):
    return bytes([0, side]) + u16(n)


def recv(side, n):
    return bytes([1, side]) + u16(n)


def adv(units):  # 100 µs units
    return bytes([2]) + u16(units)


def link(delay, loss, dup, reorder, seed=1):
    return bytes([3, delay, loss, dup, reorder, seed])


def end(side, how):
    return bytes([4, side, how])


two_seeds = {
    "bulk-clean": b"\x00" + send(1, 60000) + adv(500) + recv(0, 65535) + adv(500) + recv(0, 65535) + end(1, 1) + adv(1000) + recv(0, 65535) + recv(0, 65535),
    "lossy-both-ways": b"\x10" + link(20, 40, 20, 40) + send(0, 30000) + send(1, 30000) + adv(3000) + recv(0, 65535) + recv(1, 65535) + end(0, 0) + end(1, 0) + adv(20000) + recv(0, 65535) + recv(1, 65535),
    "abort-and-again": b"\x00" + send(0, 1000) + adv(100) + end(1, 2) + adv(100) + recv(0, 100) + bytes([5]) + adv(100) + send(1, 100) + adv(100) + recv(0, 100),
}

for target, seeds in (("stack_input", stack_seeds), ("two_stacks", two_seeds)):
    os.makedirs(os.path.join(here, "corpus", target), exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(here, "corpus", target, name), "wb") as f:
            f.write(data)
