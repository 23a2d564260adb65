"""A minimal Compound File (OLE2) writer, just enough to make Outlook-style .msg test files.

Streams are padded to at least 4096 bytes so they live in regular sectors (no mini stream).
A name given ``None`` becomes an empty storage (a folder) instead of a stream.
"""

from __future__ import annotations

import struct

SECTOR = 512
FREE, END, FAT_SECTOR, NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _entry(
    name: str, kind: int, child: int, start: int, size: int, right: int = NO_STREAM
) -> bytes:
    encoded = name.encode("utf-16-le") + b"\x00\x00" if name else b""
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        encoded.ljust(64, b"\x00"),
        len(encoded),
        kind,
        1,
        NO_STREAM,
        right,
        child,
        b"\x00" * 16,
        0,
        0,
        0,
        start,
        size,
    )


def compound_file(entries: dict[str, bytes | None]) -> bytes:
    """Bytes of a compound file whose root storage holds ``entries`` (name -> content, or
    None for an empty storage)."""
    storages = [name for name, data in entries.items() if data is None]
    streams = {name: data.ljust(4096, b"\x00") for name, data in entries.items() if data}
    data_sectors: list[bytes] = []
    starts: list[int] = []
    for content in streams.values():
        starts.append(2 + len(data_sectors))
        padded = content.ljust(-(-len(content) // SECTOR) * SECTOR, b"\x00")
        data_sectors += [padded[i : i + SECTOR] for i in range(0, len(padded), SECTOR)]
    fat = [FAT_SECTOR, END] + [FREE] * 126
    position = 2
    for content in streams.values():
        count = -(-len(content) // SECTOR)
        for offset in range(count):
            fat[position + offset] = position + offset + 1 if offset < count - 1 else END
        position += count
    assert position <= 128, "test streams too large for one FAT sector"
    names = list(streams) + storages
    directory = [_entry("Root Entry", 5, 1 if names else NO_STREAM, END, 0)]
    for index, name in enumerate(names):
        right = index + 2 if index + 1 < len(names) else NO_STREAM
        if name in streams:
            size = len(streams[name])
            directory.append(_entry(name, 2, NO_STREAM, starts[index], size, right))
        else:
            directory.append(_entry(name, 1, NO_STREAM, 0, 0, right))
    while len(directory) % 4:
        directory.append(_entry("", 0, NO_STREAM, 0, 0))
    assert len(directory) == 4, "one directory sector holds four entries"
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"\x00" * 16,
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"\x00" * 6,
        0,
        1,
        1,
        0,
        4096,
        END,
        0,
        END,
        0,
    )
    header += struct.pack("<109I", 0, *([FREE] * 108))
    fat_bytes = struct.pack("<128I", *fat)
    return header + fat_bytes + b"".join(directory) + b"".join(data_sectors)
