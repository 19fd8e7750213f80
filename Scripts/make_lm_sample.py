#!/usr/bin/env python3
"""Writes the bundled language-modelling sample (Sources/TextData/Samples/lm-sample.*.txt).

Short made-up sentences in the Penn Treebank LM layout (lower case, one sentence per
line, numbers as N), built from templates so that the slides' contexts ("students opened
their", "today the") occur, split into train / valid / test. Deterministic.
"""
import random
from pathlib import Path

rng = random.Random(7)
T = {
    "OBJ": ["books", "exams", "laptops", "notebooks", "minds", "bags", "eyes", "doors"],
    "WHO": ["students", "teachers", "the children", "the engineers", "readers", "the players"],
    "CO": ["company", "bank", "price", "market", "government", "board", "italian", "emirate", "dollar"],
    "VERB": ["rose", "fell", "said", "agreed", "reported", "declined", "announced", "gained"],
    "ADJ": ["new", "old", "small", "large", "quiet", "busy", "strong", "weak"],
    "PLACE": ["the city", "the school", "the office", "the market", "the library", "the station"],
}
TEMPLATES = [
    "the WHO opened their OBJ",
    "as the proctor started the clock the students opened their OBJ",
    "students opened their OBJ and began to write",
    "today the CO VERB N percent",
    "today the CO said it would VERB",
    "the CO VERB after a ADJ week",
    "the ADJ CO VERB in PLACE",
    "WHO walked to PLACE on monday",
    "the price of gold VERB N cents a share",
    "WHO read their OBJ in PLACE",
    "today the ADJ CO VERB sharply",
    "the CO VERB that profits were ADJ",
]


def sentence():
    words = []
    for piece in rng.choice(TEMPLATES).split():
        words += (rng.choice(T[piece]) if piece in T else piece).split()
    return " ".join(words)


def main():
    out = Path(__file__).resolve().parent.parent / "Sources/TextData/Samples"
    for name, n in [("train", 1200), ("valid", 150), ("test", 150)]:
        lines = [sentence() for _ in range(n)]
        (out / f"lm-sample.{name}.txt").write_text("".join(f" {s} \n" for s in lines))
    print("wrote lm-sample.{train,valid,test}.txt")


if __name__ == "__main__":
    main()
