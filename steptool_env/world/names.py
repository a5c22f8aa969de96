"""Plausible but fictional names, so that no model can answer from memory: every fact must
come from the tools. Names are built from syllables with a :class:`StableRng`."""

from __future__ import annotations

from steptool_env.seeding import StableRng

_ONSETS = (
    "b",
    "br",
    "c",
    "d",
    "dr",
    "f",
    "g",
    "gr",
    "h",
    "k",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "st",
    "t",
    "tr",
    "v",
    "w",
    "z",
    "th",
    "sh",
    "kr",
    "al",
    "el",
    "or",
)
_VOWELS = ("a", "e", "i", "o", "u", "ae", "ia", "ou", "y")
_CODAS = ("", "n", "r", "l", "s", "th", "m", "nd", "rk", "x", "v")
_PLACE_SUFFIX = (
    "ton",
    "mont",
    "ford",
    "haven",
    "burg",
    "dale",
    "port",
    "field",
    "mere",
    "wick",
    "stad",
    "ville",
    "shire",
    "holm",
    "gate",
    "bridge",
)
_FIRST = (
    "Ava",
    "Liam",
    "Maya",
    "Noah",
    "Iris",
    "Omar",
    "Lena",
    "Ravi",
    "Nora",
    "Ezra",
    "Zoe",
    "Milo",
    "Sana",
    "Theo",
    "Yara",
    "Felix",
    "Leah",
    "Hugo",
    "Anya",
    "Jonas",
    "Mira",
    "Elias",
    "Ines",
    "Kai",
    "Luca",
    "Nadia",
    "Oscar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Umar",
    "Vera",
    "Wren",
    "Xavi",
    "Yusuf",
    "Zara",
    "Aiko",
    "Bruno",
    "Clara",
    "Dario",
    "Elsa",
    "Farah",
    "Goran",
    "Hana",
    "Ivo",
    "Jana",
    "Karim",
    "Lior",
)
_LAST = (
    "Adler",
    "Brandt",
    "Castell",
    "Dorsey",
    "Ellery",
    "Falk",
    "Garnet",
    "Hollis",
    "Ingram",
    "Jarvik",
    "Keller",
    "Lindqvist",
    "Marlowe",
    "Navarro",
    "Okafor",
    "Prescott",
    "Quill",
    "Rourke",
    "Salazar",
    "Thorne",
    "Ulrich",
    "Vance",
    "Whitlock",
    "Xander",
    "Yoshida",
    "Zeller",
    "Abara",
    "Bellamy",
    "Corvin",
    "Delacroix",
    "Eastwood",
    "Fenwick",
    "Galloway",
    "Hartley",
    "Ivanov",
    "Jensen",
    "Kowalski",
    "Larkin",
    "Moreau",
    "Nakamura",
)


def word(rng: StableRng, syllables: tuple[int, int] = (2, 3)) -> str:
    n = rng.randint(*syllables)
    parts = [rng.choice(_ONSETS) + rng.choice(_VOWELS) for _ in range(n)]
    return ("".join(parts) + rng.choice(_CODAS)).capitalize()


def place(rng: StableRng) -> str:
    base = word(rng, (1, 2))
    return base + rng.choice(_PLACE_SUFFIX) if rng.random() < 0.6 else base


def person(rng: StableRng) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def unique(rng: StableRng, make, n: int, taken: set[str] | None = None) -> list[str]:
    """``n`` distinct names from the generator ``make(rng)``, none in ``taken``."""
    seen = set() if taken is None else taken
    out: list[str] = []
    tries = 0
    while len(out) < n:
        tries += 1
        if tries > 50 * n + 1000:
            raise RuntimeError("name generator exhausted; widen the syllable lists")
        name = make(rng)
        key = name.lower()
        if key in seen:
            continue
        seen.add(key)
        out.append(name)
    return out
