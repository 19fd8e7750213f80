#!/usr/bin/env python3
"""Writes the bundled sentiment sample (Sources/TextData/Samples/sentiment-sample.*.txt).

A made-up stand-in for the Stanford Sentiment Treebank, in the same tree format, so that
Chapters 2 and 9 run on a fresh clone. Sentences come from a few templates; every node of
a right-branching tree is labelled by one small rule: each adjective counts +1 or -1, "very"
doubles the next one, "not" flips it, and after "but" only what follows counts. The label
is 2 + the score, clipped to 0..4. Run it again and the files come out the same.
"""
import random
from pathlib import Path

POSITIVE = "good great wonderful funny moving charming clever beautiful".split()
NEGATIVE = "bad dull boring awful clumsy tedious flat weak".split()
NOUNS = "film movie story script cast plot performance ending".split()


def score(words):
    if "but" in words:
        words = words[words.index("but") + 1:]
    total, sign, weight = 0, 1, 1
    for w in words:
        if w == "not":
            sign = -1
        elif w == "very":
            weight = 2
        elif w in POSITIVE or w in NEGATIVE:
            strength = 1 if sign < 0 else weight  # "not very good" is only mildly negative
            total += sign * strength * (1 if w in POSITIVE else -1)
            sign, weight = 1, 1
    return total


def label(words):
    return 2 + max(-2, min(2, score(words)))


def tree(words):
    if len(words) == 1:
        return f"({label(words)} {words[0]})"
    return f"({label(words)} ({label(words[:1])} {words[0]}) {tree(words[1:])})"


def sentence(rng):
    adjective = lambda: rng.choice(POSITIVE + NEGATIVE)
    noun = lambda: rng.choice(NOUNS)
    templates = [
        lambda: ["the", noun(), "is", adjective()],
        lambda: ["the", noun(), "is", "not", adjective()],
        lambda: ["the", noun(), "is", "very", adjective()],
        lambda: ["a", adjective(), noun()],
        lambda: ["a", "very", adjective(), noun()],
        lambda: ["the", noun(), "is", adjective(), "and", adjective()],
        lambda: ["a", adjective(), noun(), ",", "but", "the", noun(), "is", adjective()],
        lambda: ["the", noun(), "is", "not", "very", adjective()],
    ]
    return rng.choice(templates)()


def main():
    rng = random.Random(2024)
    folder = Path(__file__).resolve().parent.parent / "Sources/TextData/Samples"
    for split, count in [("train", 600), ("dev", 150), ("test", 150)]:
        lines = [tree(sentence(rng)) for _ in range(count)]
        (folder / f"sentiment-sample.{split}.txt").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
