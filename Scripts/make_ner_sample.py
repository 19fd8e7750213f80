#!/usr/bin/env python3
"""Writes the bundled NER sample (Sources/TextData/Samples/ner-sample.conll).

The sentences are made up here from templates and short name lists, in the CoNLL-2003
layout (word POS chunk NER, IOB1 tags), so Chapter 1 runs on a fresh clone without the
Reuters text. Deterministic: the same file every run.
"""
import random
from pathlib import Path

rng = random.Random(2024)

PER = ["Maria Lopez", "John Smith", "Amina Diallo", "Kenji Sato", "Paris Hilton", "Samuel Quinn",
       "Olga Petrova", "David Cohen", "Lena Fischer", "Raj Patel", "Chen Wei", "Sara Berg",
       "Tom Baker", "Ana Costa", "Yusuf Demir", "Claire Martin", "Peter", "Helen", "Marco Rossi"]
LOC = ["Paris", "London", "New York", "Berlin", "Tokyo", "Nairobi", "Lisbon", "Cairo", "Oslo",
       "Lima", "Texas", "Germany", "France", "Brazil", "Kenya", "Japan", "Madrid", "Toronto",
       "Sydney", "Mumbai", "Boston", "Prague", "Vienna", "Seoul", "Chile"]
ORG = ["Reuters", "the United Nations", "Acme Corp", "Globex", "Initech", "the World Bank",
       "Hilton Hotel", "Northwind Bank", "Umbrella Group", "Stark Industries", "Apex Motors",
       "Blue River Airlines", "Helios Energy"]
MISC = ["French", "German", "Japanese", "Brazilian", "Olympic", "European", "Kenyan", "Nobel",
        "Spanish", "Canadian"]

POS = {"the": "DT", "a": "DT", "in": "IN", "to": "TO", "of": "IN", "on": "IN", "at": "IN",
       "from": "IN", "for": "IN", "with": "IN", "and": "CC", ".": ".", ",": ",", "said": "VBD",
       "is": "VBZ", "are": "VBP", "was": "VBD", "will": "MD", "has": "VBZ"}

TEMPLATES = [
    "the museums in {LOC} are amazing to see .",
    "{PER} flew from {LOC} to {LOC} on Monday .",
    "{PER} said the talks in {LOC} were useful .",
    "{ORG} opened a new office in {LOC} .",
    "shares of {ORG} rose 3 percent in {LOC} trading .",
    "{PER} , a spokesman for {ORG} , declined to comment .",
    "the {MISC} team beat {LOC} 2-1 in the final .",
    "{PER} was arrested in the {ORG} in {LOC} in April .",
    "{ORG} said profits fell in {LOC} and {LOC} .",
    "{PER} will visit {LOC} next week , officials said .",
    "the {MISC} government said it would talk to {ORG} .",
    "{PER} joined {ORG} as chief executive last year .",
    "rain is expected in {LOC} on Friday .",
    "{PER} won the {MISC} prize for her work .",
    "police in {LOC} said two people were hurt .",
    "{ORG} and {ORG} agreed to merge , {PER} said .",
    "the new bridge links {LOC} with {LOC} .",
    "{PER} met {PER} in {LOC} to discuss trade .",
    "exports from {LOC} to {LOC} rose sharply in March .",
    "the {MISC} minister arrived in {LOC} for talks with {PER} .",
    "prices were steady and traders were quiet .",
    "the market closed higher after a slow week .",
]


def entity_tokens(kind, text):
    words = text.split()
    if kind == "ORG" and words[0] == "the":
        return [("the", "DT", "O")] + [(w, "NNP", f"I-ORG") for w in words[1:]]
    pos = "JJ" if kind == "MISC" else "NNP"
    return [(w, pos, f"I-{kind}") for w in words]


def sentence(template):
    tokens = []
    for piece in template.split():
        if piece.startswith("{") and piece.endswith("}"):
            kind = piece[1:-1]
            pool = {"PER": PER, "LOC": LOC, "ORG": ORG, "MISC": MISC}[kind]
            tokens += entity_tokens(kind, rng.choice(pool))
        else:
            pos = POS.get(piece, "CD" if piece[0].isdigit() else "NN")
            tokens.append((piece, pos, "O"))
    # No template puts two entities of one type side by side, so IOB1 needs no B- tags.
    return tokens


def main():
    lines = ["-DOCSTART- -X- -X- O", ""]
    first = [("the", "DT", "O"), ("museums", "NNS", "O"), ("in", "IN", "O"), ("Paris", "NNP", "I-LOC"),
             ("are", "VBP", "O"), ("amazing", "JJ", "O"), ("to", "TO", "O"), ("see", "VB", "O"), (".", ".", "O")]
    sentences = [first]
    for _ in range(299):
        sentences.append(sentence(rng.choice(TEMPLATES)))
    for s in sentences:
        for word, pos, tag in s:
            chunk = "O" if pos in {".", ","} else ("I-NP" if pos in {"NNP", "NN", "NNS", "DT", "JJ", "CD"} else "I-VP" if pos.startswith("V") or pos == "MD" else "I-PP")
            lines.append(f"{word} {pos} {chunk} {tag}")
        lines.append("")
    out = Path(__file__).resolve().parent.parent / "Sources/TextData/Samples/ner-sample.conll"
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out} ({len(sentences)} sentences)")


if __name__ == "__main__":
    main()
