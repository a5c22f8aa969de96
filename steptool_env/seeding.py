"""A small seeded random generator whose streams never change.

Python's ``random.Random`` methods (``choice``, ``randrange``, ``shuffle``) and NumPy's
``Generator`` methods are allowed to change their algorithms between versions. The suite
must regenerate bit-identically from its seed on every Python and NumPy version, so world
and task generation use :class:`StableRng`, which is built only on ``getrandbits`` of the
Mersenne Twister seeded from an integer — a stream Python keeps stable.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import MutableSequence, Sequence
from typing import TypeVar

T = TypeVar("T")


def derive_seed(*parts: object) -> int:
    """A 63-bit seed derived from any printable parts (stable across runs and platforms)."""
    text = "\x1f".join(str(p) for p in parts).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big") >> 1


class StableRng:
    """Deterministic generator: same seed, same numbers, on every Python version."""

    __slots__ = ("_mt",)

    def __init__(self, seed: int) -> None:
        self._mt = random.Random(int(seed))

    def child(self, *parts: object) -> StableRng:
        """An independent generator for a named sub-stream."""
        return StableRng(derive_seed(self._mt.getrandbits(63), *parts))

    def below(self, n: int) -> int:
        """Uniform integer in ``[0, n)`` by rejection sampling."""
        if n <= 0:
            raise ValueError(f"below() needs n > 0, got {n}")
        k = n.bit_length()
        while True:
            r = self._mt.getrandbits(k)
            if r < n:
                return r

    def randint(self, low: int, high: int) -> int:
        """Uniform integer in ``[low, high]`` (both ends included)."""
        return low + self.below(high - low + 1)

    def random(self) -> float:
        """Uniform float in ``[0, 1)`` with 53 random bits."""
        return self._mt.getrandbits(53) / 9007199254740992.0

    def uniform(self, low: float, high: float) -> float:
        return low + (high - low) * self.random()

    def choice(self, seq: Sequence[T]) -> T:
        if not seq:
            raise IndexError("choice() from an empty sequence")
        return seq[self.below(len(seq))]

    def shuffle(self, seq: MutableSequence[T]) -> None:
        """Fisher-Yates shuffle in place."""
        for i in range(len(seq) - 1, 0, -1):
            j = self.below(i + 1)
            seq[i], seq[j] = seq[j], seq[i]

    def sample(self, seq: Sequence[T], k: int) -> list[T]:
        """``k`` distinct elements, in random order."""
        if k > len(seq):
            raise ValueError(f"sample of {k} from a population of {len(seq)}")
        pool = list(seq)
        out = []
        for _ in range(k):
            out.append(pool.pop(self.below(len(pool))))
        return out

    def weighted(self, seq: Sequence[T], weights: Sequence[float]) -> T:
        total = float(sum(weights))
        x = self.random() * total
        acc = 0.0
        for item, w in zip(seq, weights):
            acc += w
            if x < acc:
                return item
        return seq[-1]
