"""A look at a model file's string attributes before HDF5 reads them.

HDF5 keeps a variable-length string attribute as a descriptor — its length, the address of a
global-heap collection and an object index — in the attribute message, and the characters in that
collection. Reading the attribute makes the HDF5 library allocate what the descriptor and the
collection claim before it notices that the file does not hold that much. This module reads those
few numbers straight from the file's bytes (memory-mapped, nothing loaded) and reports any claim
larger than the file, or a descriptor that points at no heap object, so that the loader refuses the
file before HDF5 allocates anything.

Layouts (HDF5 file format specification): attribute messages of versions 1 (fields padded to 8
bytes), 2 and 3; the global heap collection ``"GCOL"``, version 1, with 8-byte lengths.
"""
from __future__ import annotations

import mmap
import os
import struct

STRING_ATTRIBUTES = ("format", "kind", "minikeras_version", "model_config", "compile_config", "training_state",
                     "last_learning_rate")
VLEN_CLASS = 9
DESCRIPTOR = struct.Struct("<IQI")  # length, collection address, object index
HEAP_OBJECT = struct.Struct("<HH4xQ")  # index, reference count, reserved, size


def _padded(size: int, pad: bool) -> int:
    return (size + 7) // 8 * 8 if pad else size


def _descriptor_offsets(data, name: str):
    """File offsets of the variable-length descriptors of the attribute messages called `name`."""
    needle = name.encode() + b"\0"
    start = data.find(needle)
    while start != -1:
        for version, header, pad in ((1, 8, True), (2, 8, False), (3, 9, False)):
            at = start - header
            if at < 0 or data[at] != version or struct.unpack_from("<H", data, at + 2)[0] != len(needle):
                continue
            datatype_size, dataspace_size = struct.unpack_from("<HH", data, at + 4)
            datatype = start + _padded(len(needle), pad)
            if datatype < len(data) and data[datatype] & 0x0F == VLEN_CLASS:
                yield datatype + _padded(datatype_size, pad) + _padded(dataspace_size, pad)
        start = data.find(needle, start + 1)


SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _base_address(data) -> int:
    """Where the HDF5 data starts: the superblock's offset, 0 or past a user block of 512, 1024,
    2048, ... bytes. The file's addresses count from there."""
    offset = 0
    while offset + len(SIGNATURE) <= len(data):
        if data[offset:offset + len(SIGNATURE)] == SIGNATURE:
            return offset
        offset = 512 if offset == 0 else offset * 2
    return 0


def _heap_objects(data, address: int) -> dict[int, int] | None:
    """``{index: size}`` of the objects of the global heap collection at file offset `address`,
    walked as HDF5 walks it when it loads the collection, or None when the walk would go wrong:
    an object running past the collection, or a free-space object (index 0) that is not the last
    one, ending exactly where the collection ends (HDF5 would loop on it forever)."""
    if address + 16 > len(data) or data[address:address + 4] != b"GCOL":
        return None
    (collection_size,) = struct.unpack_from("<Q", data, address + 8)
    end = address + collection_size
    if collection_size < 16 or end > len(data):
        return None
    objects: dict[int, int] = {}
    position = address + 16
    while position + HEAP_OBJECT.size <= end:
        object_index, _, size = HEAP_OBJECT.unpack_from(data, position)
        if object_index == 0:  # the free space: the rest of the collection, header included
            return objects if size == end - position else None
        if size > end - position - HEAP_OBJECT.size or object_index in objects:
            return None
        objects[object_index] = size
        position += HEAP_OBJECT.size + _padded(size, True)
    return objects if position >= end - HEAP_OBJECT.size else None


def string_attribute_problem(path) -> str | None:
    """What is wrong with the heap records of `path`'s string attributes, or None."""
    with open(os.fspath(path), "rb") as file:
        if os.fstat(file.fileno()).st_size == 0:
            return None
        with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
            base = _base_address(data)
            collections: dict[int, dict[int, int] | None] = {}
            for name in STRING_ATTRIBUTES:
                for offset in _descriptor_offsets(data, name):
                    if offset + DESCRIPTOR.size > len(data):
                        return f"the attribute {name!r} is cut off"
                    length, address, index = DESCRIPTOR.unpack_from(data, offset)
                    if address not in collections:  # the attributes share a few collections: walk each once
                        collections[address] = _heap_objects(data, base + address)
                    objects = collections[address]
                    if objects is None:
                        return (f"the attribute {name!r} is kept in a malformed heap collection: a heap record the "
                                f"file does not hold (a damaged or tampered file)")
                    size = objects.get(index)
                    if size is None or length > size:
                        return (f"the attribute {name!r} claims {length:,} bytes in a heap record the file does not "
                                f"hold (a damaged or tampered file)")
    return None
