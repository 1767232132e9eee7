"""A Merkle root over the heads of the audit chains (sha256, leaves and inner nodes kept apart).

- A leaf is one chain's head: `(chain, seq, hash)`, written as the compact JSON array
  `["instance:12",7,"<64 hex>"]` (UTF-8) and hashed as sha256(0x00 || that text).
- An inner node is sha256(0x01 || left || right), over the two 32-byte digests below it.
- Leaves are taken in the order of their chain ids (each chain once). Each level pairs neighbours left to
  right; an odd node at the end of a level is promoted to the next level unchanged (never paired with a
  copy of itself, so no two different lists of leaves share a root).
- No leaves at all: the root is sha256 of nothing.

The root is written in lowercase hex.
"""
from __future__ import annotations

import hashlib
import json
from typing import Iterable, Sequence

LEAF = b"\x00"
NODE = b"\x01"

Leaf = tuple[str, int, str]  # (chain, seq, hash at that seq)


def leaf_digest(leaf: Sequence) -> bytes:
    chain, seq, digest = leaf
    text = json.dumps([chain, seq, digest], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(LEAF + text.encode("utf-8")).digest()


def node_digest(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE + left + right).digest()


def root(leaves: Iterable[Sequence]) -> str:
    """The Merkle root of the leaves, in the order given (callers sort them by chain)."""
    level = [leaf_digest(leaf) for leaf in leaves]
    if not level:
        return hashlib.sha256(b"").hexdigest()
    while len(level) > 1:
        paired = [node_digest(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0].hex()
