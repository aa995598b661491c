"""Minimal safetensors reader/writer in pure Python + torch (no `safetensors` package).

Format: 8-byte little-endian u64 header length N, N bytes of UTF-8 JSON
({"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}}),
then the data buffer. Offsets are relative to the start of the data buffer; tensors are
little-endian, contiguous, row-major.

The writer follows the reference library (huggingface/safetensors): tensors sorted by
dtype (largest first, in the library's enum order) then by name, `__metadata__` first in
the header, compact JSON, header padded with spaces to a multiple of 8 bytes.
"""

import json
import struct
import sys

import torch

# name -> (torch dtype, element size). Order = the reference library's Dtype enum order.
DTYPES = {
    "BOOL": (torch.bool, 1),
    "U8": (torch.uint8, 1),
    "I8": (torch.int8, 1),
    "I16": (torch.int16, 2),
    "F16": (torch.float16, 2),
    "BF16": (torch.bfloat16, 2),
    "I32": (torch.int32, 4),
    "F32": (torch.float32, 4),
    "F64": (torch.float64, 8),
    "I64": (torch.int64, 8),
}
_DTYPE_RANK = {name: i for i, name in enumerate(DTYPES)}
_NAME_OF = {dt: name for name, (dt, _) in DTYPES.items()}

assert sys.byteorder == "little", "this writer assumes a little-endian host"


def _tensor_bytes(t: torch.Tensor) -> bytes:
    t = t.detach().cpu().contiguous()
    if t.numel() == 0:
        return b""
    if t.dtype == torch.bfloat16:
        t = t.view(torch.int16)
    return t.numpy().tobytes()


def save(path, tensors, metadata=None):
    """Write `tensors` (dict name -> torch.Tensor) and optional str->str metadata."""
    if metadata is not None:
        for k, v in metadata.items():
            if not isinstance(k, str) or not isinstance(v, str):
                raise TypeError(f"metadata must be str -> str, got {k!r}: {v!r}")
    items = []
    for name, t in tensors.items():
        if t.dtype not in _NAME_OF:
            raise TypeError(f"{name}: unsupported dtype {t.dtype}")
        items.append((name, t))
    # Reference library: sort by dtype descending, then by name.
    items.sort(key=lambda kv: (-_DTYPE_RANK[_NAME_OF[kv[1].dtype]], kv[0]))

    header = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    blobs = []
    offset = 0
    for name, t in items:
        data = _tensor_bytes(t)
        header[name] = {
            "dtype": _NAME_OF[t.dtype],
            "shape": list(t.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        offset += len(data)
        blobs.append(data)
    hbytes = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    hbytes += b" " * ((8 - len(hbytes) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for b in blobs:
            f.write(b)


class SafeTensorsError(ValueError):
    pass


def load(path):
    """Read a safetensors file strictly. Returns (ordered dict name -> tensor, metadata dict,
    header info dict with 'header_len' and 'order')."""
    with open(path, "rb") as f:
        raw = f.read()

    def fail(msg):
        raise SafeTensorsError(f"{path}: {msg}")

    if len(raw) < 8:
        fail(f"file is {len(raw)} bytes, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", raw[:8])
    if n > len(raw) - 8:
        fail(f"header length {n} exceeds the {len(raw) - 8} bytes after the length prefix")
    try:
        header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        fail(f"header is not valid UTF-8 JSON: {e}")
    if not isinstance(header, dict):
        fail("header is not a JSON object")
    data = memoryview(raw)[8 + n :]
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        fail("__metadata__ must be an object of string values")
    tensors = {}
    spans = []
    for name, info in header.items():
        if not isinstance(info, dict):
            fail(f"tensor '{name}': entry is not an object")
        for key in ("dtype", "shape", "data_offsets"):
            if key not in info:
                fail(f"tensor '{name}': missing '{key}'")
        if info["dtype"] not in DTYPES:
            fail(f"tensor '{name}': unknown dtype '{info['dtype']}'")
        dt, size = DTYPES[info["dtype"]]
        shape = info["shape"]
        if not isinstance(shape, list) or any((not isinstance(d, int)) or d < 0 for d in shape):
            fail(f"tensor '{name}': bad shape {shape}")
        numel = 1
        for d in shape:
            numel *= d
        begin, end = info["data_offsets"]
        if end - begin != numel * size:
            fail(f"tensor '{name}': data_offsets [{begin}, {end}] span {end - begin} bytes, "
                 f"shape {shape} x {info['dtype']} needs {numel * size}")
        if begin < 0 or end > len(data):
            fail(f"tensor '{name}': data_offsets [{begin}, {end}] outside the {len(data)}-byte data buffer")
        spans.append((begin, end, name))
        if numel == 0:
            t = torch.empty(shape, dtype=dt)
        else:
            t = torch.frombuffer(bytearray(data[begin:end]), dtype=dt).reshape(shape)
        tensors[name] = t
    spans.sort()
    for (b0, e0, n0), (b1, e1, n1) in zip(spans, spans[1:]):
        if b1 < e0:
            fail(f"tensors '{n0}' and '{n1}' overlap")
    return tensors, metadata, {"header_len": n, "order": list(header.keys())}
