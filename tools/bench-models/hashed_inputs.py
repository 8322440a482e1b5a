"""Tokens and output seeds the gradient benchmarks share with bench/src/hashed-inputs.ts: a 32-bit
integer hash of the element index, computed identically on both sides."""

import numpy as np
import torch

TOKEN_SALT = 0x9E3779B9
SEED_SALT = 0x85EBCA6B


def hash32(index):
    """Chris Wellons's lowbias32 integer hash of a uint32 array (wrapping uint32 arithmetic)."""
    x = index.astype(np.uint32)
    x ^= x >> np.uint32(16)
    x *= np.uint32(0x7FEB352D)
    x ^= x >> np.uint32(15)
    x *= np.uint32(0x846CA68B)
    x ^= x >> np.uint32(16)
    return x


def inputs(batch, seq, vocab):
    """tokens[i] = hash(i ^ TOKEN_SALT) % vocab; seed[i] = hash(i ^ SEED_SALT) / 2^32 * 2 - 1 (float32 in [-1, 1))."""
    tokens = hash32(np.arange(batch * seq, dtype=np.uint32) ^ np.uint32(TOKEN_SALT)) % np.uint32(vocab)
    seed = hash32(np.arange(batch * seq * vocab, dtype=np.uint32) ^ np.uint32(SEED_SALT)).astype(np.float64) / 2**32 * 2 - 1
    return (
        torch.from_numpy(tokens.astype(np.int64).reshape(batch, seq)),
        torch.from_numpy(seed.astype(np.float32).reshape(batch, seq, vocab)),
    )
