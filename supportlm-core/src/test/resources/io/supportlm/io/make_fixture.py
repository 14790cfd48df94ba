#!/usr/bin/env python3
"""Writes numpy_fixture.safetensors and numpy_fixture.expected.json with numpy only (no torch, no
safetensors package), following the format spec independently of the Java writer: u64 LE header
length, JSON header with the reference writer's layout (sorted by dtype alignment then name,
padded with spaces to 8 bytes), then the little-endian data. The expected file holds the values
numpy decodes, so the Java reader is checked against numpy's float16 and an exact bf16 rounding.
Run by hand: python3 make_fixture.py"""
import json
import struct

import numpy as np

f32 = np.array([[1.0, -2.5, 3.14159265], [1e-8, 65504.0, -0.0]], dtype="<f4")
f16 = np.array([0.1, -1.0, 6.1e-5, 5.96e-8, 65504.0, np.inf, -np.inf, 1.5], dtype="<f2")  # normal, subnormal, max, inf
src = np.array([1.0, -3.140625, 1e-3, 3.0e38, -1e-40, 0.5], dtype="<f4")
bits = src.view("<u4").astype(np.uint64)
bf16_bits = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype("<u2")  # round to nearest even
bf16_values = (bf16_bits.astype(np.uint32) << 16).view("<f4")
i64 = np.array([[-(2**62), 7], [0, 2**40]], dtype="<i8")
i32 = np.array([-1, 2**31 - 1, 5], dtype="<i4")
u8 = np.array([0, 255, 128], dtype="u1")
i8 = np.array([-128, 127, 0, -1], dtype="i1")
boolean = np.array([[True, False], [False, True]], dtype="?")

tensors = {
    "dense.weight": ("F32", f32), "half": ("F16", f16), "brain": ("BF16", bf16_bits.reshape(2, 3)),
    "ids": ("I64", i64), "ints": ("I32", i32), "bytes": ("U8", u8), "signed": ("I8", i8), "mask": ("BOOL", boolean),
}
order = sorted(tensors, key=lambda n: (-tensors[n][1].dtype.itemsize, n))
header, data, offset = {"__metadata__": {"format": "np", "source": "make_fixture.py"}}, b"", 0
for name in order:
    dtype, arr = tensors[name]
    raw = arr.tobytes()
    header[name] = {"dtype": dtype, "shape": list(arr.shape), "data_offsets": [offset, offset + len(raw)]}
    data += raw
    offset += len(raw)
text = json.dumps(header, separators=(",", ":")).encode()
text += b" " * ((8 - len(text) % 8) % 8)
with open("numpy_fixture.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + data)

def floats(a):
    return [float(x) if np.isfinite(x) else ("inf" if x > 0 else "-inf") for x in np.asarray(a, dtype=np.float64).ravel()]

expected = {
    "dense.weight": floats(f32), "half": floats(f16.astype("<f4")), "brain": floats(bf16_values),
    "ids": [int(x) for x in i64.ravel()], "ints": [int(x) for x in i32.ravel()], "bytes": [int(x) for x in u8],
    "signed": [int(x) for x in i8], "mask": [int(x) for x in boolean.ravel()],
    "shapes": {n: list(tensors[n][1].shape) for n in tensors},
}
with open("numpy_fixture.expected.json", "w") as f:
    json.dump(expected, f, indent=1)
