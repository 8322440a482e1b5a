"""Python reference benchmark for ONNX model decoding and encoding.

Usage: onnx_codec.py PATH RUNS

For RUNS iterations, times onnx.load(PATH) and then onnx.save(model, <temp file>)
(file to file), and ModelProto.ParseFromString / SerializeToString on the file's bytes already
in memory (the codec alone), with time.perf_counter, and prints ONE JSON line on stdout:
  {"tool": "python-onnx", "onnx_version": ..., "load_ms": [...], "save_ms": [...], "total_ms": [...],
   "parse_ms": [...], "serialize_ms": [...]}
where total_ms[i] = load_ms[i] + save_ms[i]. The TypeScript codec benchmarks compare
themselves against these numbers.
"""

import json
import os
import sys
import tempfile
import time

import onnx


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: onnx_codec.py PATH RUNS")
    path, runs = sys.argv[1], int(sys.argv[2])
    fd, tmp = tempfile.mkstemp(suffix=".onnx")
    os.close(fd)
    load_ms, save_ms = [], []
    try:
        for _ in range(runs):
            start = time.perf_counter()
            model = onnx.load(path)
            loaded = time.perf_counter()
            onnx.save(model, tmp)
            saved = time.perf_counter()
            load_ms.append((loaded - start) * 1000.0)
            save_ms.append((saved - loaded) * 1000.0)
            del model
        with open(path, "rb") as f:
            data = f.read()
        parse_ms, serialize_ms = [], []
        for _ in range(runs):
            start = time.perf_counter()
            model = onnx.ModelProto()
            model.ParseFromString(data)
            parsed = time.perf_counter()
            model.SerializeToString()
            serialized = time.perf_counter()
            parse_ms.append((parsed - start) * 1000.0)
            serialize_ms.append((serialized - parsed) * 1000.0)
            del model
    finally:
        os.remove(tmp)
    result = {
        "tool": "python-onnx",
        "onnx_version": onnx.__version__,
        "load_ms": [round(v, 3) for v in load_ms],
        "save_ms": [round(v, 3) for v in save_ms],
        "total_ms": [round(a + b, 3) for a, b in zip(load_ms, save_ms)],
        "parse_ms": [round(v, 3) for v in parse_ms],
        "serialize_ms": [round(v, 3) for v in serialize_ms],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
