"""Reference files for @mechint/core's io module (.npy, .npz, .safetensors).

Run with the system Python (numpy only, no other packages):

    /usr/bin/python3 tools/io-reference/make_io_fixtures.py

It writes into packages/core/test/fixtures/io/:

  * npy/*.npy           written by numpy itself: every supported dtype in C order (format 1.0),
                        Fortran-ordered arrays, big-endian arrays, scalars, zero-size arrays,
                        format 2.0 and 3.0 headers, and dtypes the reader must refuse
                        (object, structured, unicode, complex);
  * savez.npz           np.savez (members STORED, zip64 extras forced by numpy);
  * savez_compressed.npz np.savez_compressed (members DEFLATEd);
  * reference.safetensors written by write_safetensors() below, a byte-exact re-implementation
                        of huggingface/safetensors' `serialize` (safetensors/src/tensor.rs);
  * expected.json       dtype, shape and flat C-order values of every array above.

The output is deterministic: zipfile stamps members written through ZipFile.open() with its
default date (1980-01-01), and nothing here depends on the clock or a random seed.
"""

import json
import os
import struct

import numpy as np

OUT_DIR = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "packages", "core", "test", "fixtures", "io")
)
NPY_DIR = os.path.join(OUT_DIR, "npy")

DTYPE_NAMES = {
    np.dtype(np.float32): "float32",
    np.dtype(np.float64): "float64",
    np.dtype(np.float16): "float16",
    np.dtype(np.int8): "int8",
    np.dtype(np.int16): "int16",
    np.dtype(np.int32): "int32",
    np.dtype(np.int64): "int64",
    np.dtype(np.uint8): "uint8",
    np.dtype(np.uint16): "uint16",
    np.dtype(np.uint32): "uint32",
    np.dtype(np.uint64): "uint64",
    np.dtype(np.bool_): "bool",
}


def json_value(x):
    """One element as JSON: floats keep their exact value, NaN/±Infinity become strings,
    64-bit integers become decimal strings (they do not fit a JSON number exactly)."""
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (float, np.floating)):
        v = float(x)
        if np.isnan(v):
            return "NaN"
        if np.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return v
    return int(x)


def describe(array):
    """dtype name, shape and C-order values of an array, as stored in expected.json."""
    native = array.astype(array.dtype.newbyteorder("="))
    entry = {
        "dtype": DTYPE_NAMES[native.dtype],
        "shape": list(array.shape),
        "values": [json_value(v) for v in native.ravel(order="C").tolist()],
    }
    if native.dtype.itemsize == 8 and native.dtype.kind in "iu":
        entry["values"] = [str(int(v)) for v in native.ravel(order="C").tolist()]
    if native.dtype == np.float16:
        entry["bits"] = [int(b) for b in native.view(np.uint16).ravel(order="C").tolist()]
    return entry


def base_arrays():
    """One small array per supported dtype, with edge values."""
    return {
        "float32": np.array([[1.5, -2.25, 3.4028235e38], [np.inf, -np.inf, np.nan]], dtype=np.float32),
        "float64": np.array([0.1, -0.0, 1e-300], dtype=np.float64),
        "float16": np.array([[1.0, -2.0], [65504.0, 5.960464477539063e-08]], dtype=np.float16),
        "int8": np.array([-128, -1, 0, 127], dtype=np.int8),
        "int16": np.array([[-32768, 32767], [-1, 2]], dtype=np.int16),
        "int32": np.array([-2147483648, 2147483647, 7], dtype=np.int32),
        "int64": np.array([-(2**63), 2**63 - 1, 42], dtype=np.int64),
        "uint8": np.array([[0, 1, 2], [253, 254, 255]], dtype=np.uint8),
        "uint16": np.array([0, 65535, 1234], dtype=np.uint16),
        "uint32": np.array([0, 4294967295], dtype=np.uint32),
        "uint64": np.array([0, 2**64 - 1], dtype=np.uint64),
        "bool": np.array([[True, False], [False, True]], dtype=np.bool_),
    }


def save_npy(name, array, expected, version=None, **extra):
    path = os.path.join(NPY_DIR, name)
    if version is None:
        np.save(path, array)
    else:
        with open(path, "wb") as f:
            np.lib.format.write_array(f, array, version=version)
    entry = describe(array)
    with open(path, "rb") as f:
        head = f.read(8)
    entry["version"] = [head[6], head[7]]
    entry.update(extra)
    expected[name] = entry


def make_npy(expected):
    os.makedirs(NPY_DIR, exist_ok=True)
    for dtype, array in base_arrays().items():
        save_npy(f"{dtype}.npy", array, expected, order="C")

    fortran = {
        "float32_fortran_2x3.npy": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
        "int16_fortran_2x3x4.npy": np.arange(24, dtype=np.int16).reshape(2, 3, 4) - 12,
        "uint8_fortran_4x5.npy": (np.arange(20, dtype=np.uint8).reshape(4, 5) * 13),
        "int8_fortran_12x3.npy": np.arange(36, dtype=np.int8).reshape(12, 3),
    }
    for name, array in fortran.items():
        save_npy(name, np.asfortranarray(array), expected, order="F")

    big_endian = {
        "float32_be.npy": np.array([[1.0, -0.5], [1e-3, 123456.75]], dtype=">f4"),
        "float64_be.npy": np.array([np.pi, -np.e], dtype=">f8"),
        "float16_be.npy": np.array([0.333, -1024.0], dtype=">f2"),
        "int64_be.npy": np.array([-(2**40) - 3, 2**62 + 5, -1], dtype=">i8"),
        "uint16_be.npy": np.array([1, 256, 65534], dtype=">u2"),
        "int32_be_fortran_2x3.npy": np.asfortranarray((np.arange(6).reshape(2, 3) * -1000).astype(">i4")),
    }
    for name, array in big_endian.items():
        save_npy(name, array, expected, order="F" if "fortran" in name else "C", descr=array.dtype.str)

    save_npy("int8_12x3.npy", np.arange(36, dtype=np.int8).reshape(12, 3), expected, order="C")
    save_npy("float64_scalar.npy", np.array(3.5, dtype=np.float64), expected, order="C")
    save_npy("int32_scalar.npy", np.array(-7, dtype=np.int32), expected, order="C")
    save_npy("float32_empty.npy", np.zeros((0,), dtype=np.float32), expected, order="C")
    save_npy("int64_empty_2x0x3.npy", np.zeros((2, 0, 3), dtype=np.int64), expected, order="C")
    save_npy("float32_v2.npy", np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32), expected, version=(2, 0), order="C")
    save_npy("int16_v3.npy", np.array([5, -6, 7], dtype=np.int16), expected, version=(3, 0), order="C")


def make_unsupported():
    """Files whose dtype the reader must refuse with UNSUPPORTED_DTYPE, keyed by descr."""
    arrays = {
        "object.npy": np.array([None, 1], dtype=object),
        "structured.npy": np.zeros(2, dtype=[("x", "<f4"), ("y", "<i2")]),
        "unicode.npy": np.array(["ab", "c"]),
        "complex64.npy": np.array([1 + 2j], dtype=np.complex64),
    }
    out = {}
    for name, array in arrays.items():
        np.save(os.path.join(NPY_DIR, name), array, allow_pickle=True)
        out[name] = str(array.dtype.descr if array.dtype.names else array.dtype.str)
    return out


def npz_arrays():
    return {
        "weights": (np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5) / 3,
        "ids": np.array([3, -1, 2**40], dtype=np.int64),
        "mask": np.array([True, False, True, True]),
        "half": np.array([0.5, -3.0], dtype=np.float16),
        "scalar": np.array(2.5),
        "empty": np.zeros((0, 2), dtype=np.int32),
        "layer.0/attn": np.asfortranarray(np.arange(6, dtype=np.uint16).reshape(3, 2)),
    }


def make_npz():
    arrays = npz_arrays()
    np.savez(os.path.join(OUT_DIR, "savez.npz"), **arrays)
    np.savez_compressed(os.path.join(OUT_DIR, "savez_compressed.npz"), **arrays)
    described = {name: describe(array) for name, array in arrays.items()}
    return {"savez.npz": described, "savez_compressed.npz": described}


# --- safetensors: a byte-exact re-implementation of huggingface/safetensors `serialize` ----------

# Dtype enum of safetensors/src/tensor.rs, in declaration order ("increasing alignment order").
# `prepare` sorts tensors by this order descending, then by name.
SAFETENSORS_DTYPE_ORDER = ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "I16", "U16", "F16", "BF16",
                           "I32", "U32", "F32", "F64", "I64", "U64"]
SAFETENSORS_DTYPES = {
    "BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "I16": np.int16, "U16": np.uint16,
    "F16": np.float16, "BF16": np.uint16, "I32": np.int32, "U32": np.uint32, "F32": np.float32,
    "F64": np.float64, "I64": np.int64, "U64": np.uint64,
}


def write_safetensors(path, tensors, metadata):
    """tensors: {name: (safetensors dtype, little-endian C-order ndarray)}.

    As safetensors' `prepare` + `serialize`: sort by dtype (descending enum order) then name
    (byte order of the UTF-8 names, which is Python's code-point order); the JSON header is
    serde_json's compact output of {"__metadata__": {...}, name: {"dtype","shape","data_offsets"}}
    with `__metadata__` first and the tensors in data order; it is padded with b' ' to a multiple
    of 8 bytes; then the u64 little-endian header length, the header, and the data back to back.
    The reference keeps metadata in a Rust HashMap (arbitrary order); we write its keys sorted.
    """
    order = sorted(tensors, key=lambda n: (-SAFETENSORS_DTYPE_ORDER.index(tensors[n][0]), n))
    header = {}
    if metadata is not None:
        header["__metadata__"] = {k: metadata[k] for k in sorted(metadata)}
    offset = 0
    chunks = []
    for name in order:
        dtype, array = tensors[name]
        data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        chunks.append(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for chunk in chunks:
            f.write(chunk)


def float32_to_bfloat16_bits(values):
    """Round float32 values to bfloat16 bit patterns, nearest-even (as torch does)."""
    u = np.asarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)


def bfloat16_bits_to_float32(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def make_safetensors():
    bf16_source = np.array([1.0 / 3.0, -3.140625, 1e30, -0.0, 65504.0, 1.00390625], dtype=np.float32)
    bf16_bits = float32_to_bfloat16_bits(bf16_source)
    f16 = np.array([0.1, -2.0, 65504.0], dtype=np.float16)
    tensors = {
        "embed.weight": ("F32", (np.arange(6, dtype=np.float32).reshape(2, 3) - 1.25)),
        "ln.bias": ("F16", f16),
        "ln.weight": ("BF16", bf16_bits.reshape(2, 3)),
        "ids": ("I64", np.array([-(2**62), 7], dtype=np.int64)),
        "mask": ("BOOL", np.array([True, False, True])),
        "a.bytes": ("U8", np.array([0, 255], dtype=np.uint8)),
        "z.i8": ("I8", np.array([-128, 127, 0], dtype=np.int8)),
        "i16": ("I16", np.array([[-300, 300]], dtype=np.int16)),
        "u16": ("U16", np.array([65535], dtype=np.uint16)),
        "i32": ("I32", np.array([-70000, 70000], dtype=np.int32)),
        "u32": ("U32", np.array([4000000000], dtype=np.uint32)),
        "f64": ("F64", np.array([np.e, -1e-310], dtype=np.float64)),
        "u64": ("U64", np.array([2**64 - 2], dtype=np.uint64)),
        "empty": ("F32", np.zeros((0, 2), dtype=np.float32)),
        "scalar": ("F32", np.array(0.25, dtype=np.float32)),
        "\u03c0": ("F32", np.array([3.1415927], dtype=np.float32)),
    }
    metadata = {"source": "mechint io reference", "format": "pt"}
    write_safetensors(os.path.join(OUT_DIR, "reference.safetensors"), tensors, metadata)

    described = {}
    for name, (dtype, array) in tensors.items():
        if dtype == "BF16":
            entry = describe(bfloat16_bits_to_float32(array))
            entry["bits"] = [int(b) for b in array.ravel().tolist()]
            entry["source"] = [json_value(v) for v in bf16_source.tolist()]
        else:
            entry = describe(array)
        entry["safetensorsDtype"] = dtype
        described[name] = entry
    return {"reference.safetensors": {"metadata": metadata, "tensors": described}}


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    expected_npy = {}
    make_npy(expected_npy)
    expected = {
        "numpy": np.__version__,
        "npy": expected_npy,
        "unsupported": make_unsupported(),
        "npz": make_npz(),
        "safetensors": make_safetensors(),
    }
    with open(os.path.join(OUT_DIR, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    main()
