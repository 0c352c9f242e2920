#!/usr/bin/env python3
"""vm_hang_kernel.py OUT: a PVH "kernel" that never boots.

A minimal ELF64 with one PT_LOAD at 1 MiB holding `jmp .` (eb fe) and a
PT_NOTE with Xen's PHYS32_ENTRY (type 18) pointing at it: the monitor
loads and enters it like a real kernel, and the vCPU then spins in guest
mode for ever, with interrupts off (no exits).  Bad input for the
microVM backend: kill and delete --force must still end it.
"""
import struct
import sys

ENTRY = 0x100000
note = struct.pack("<III4sI", 4, 4, 18, b"Xen\0", ENTRY)
ehdr = struct.pack("<16sHHIQQQIHHHHHH", b"\x7fELF\x02\x01\x01" + b"\0" * 9,
                   2, 0x3E, 1, ENTRY, 64, 0, 0, 64, 56, 2, 64, 0, 0)
load = struct.pack("<IIQQQQQQ", 1, 5, 0x1000, ENTRY, ENTRY, 2, 2, 0x1000)
pnote = struct.pack("<IIQQQQQQ", 4, 4, 0x200, 0, 0, len(note), len(note), 4)
img = bytearray(0x1002)
img[0:64] = ehdr
img[64:64 + 56] = load
img[120:120 + 56] = pnote
img[0x200:0x200 + len(note)] = note
img[0x1000:0x1002] = b"\xeb\xfe"
with open(sys.argv[1], "wb") as f:
    f.write(img)
