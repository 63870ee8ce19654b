#!/usr/bin/env python3
"""Draws the app's PNG icons (app/icon-192.png, app/icon-512.png) like app/icon.svg: a white
ring and cross on the app's blue. Run once after changing the design; the PNGs are committed.
Standard library only (zlib), so no image package is needed."""
import struct
import zlib
from pathlib import Path

BLUE, WHITE = (0x0B, 0x4F, 0x6C), (0xFF, 0xFF, 0xFF)


def pixel(x, y):
    # Coordinates in the SVG's 512-unit box.
    d = ((x - 256) ** 2 + (y - 256) ** 2) ** 0.5
    if 130 <= d <= 170:
        return WHITE
    if (236 <= x <= 276 and 166 <= y <= 346) or (166 <= x <= 346 and 236 <= y <= 276):
        return WHITE
    return BLUE


def png(size):
    scale = 512 / size
    rows = []
    for j in range(size):
        row = bytearray([0])
        for i in range(size):
            row.extend(pixel((i + 0.5) * scale, (j + 0.5) * scale))
        rows.append(bytes(row))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    here = Path(__file__).parent / "app"
    for size in (192, 512):
        (here / f"icon-{size}.png").write_bytes(png(size))
