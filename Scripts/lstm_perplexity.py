#!/usr/bin/env python3
"""Test perplexity of a Chapter 7 LSTM language model, from its checkpoint alone.

The checkpoint (written by `Chapter07 --checkpoint DIR`) is a plain safetensors file:
this script reads it with numpy and the `safetensors` package only, and runs the
chapter's model as the chapter defines it:

    e(t) = E[x(t)]                                   lm.E        (|V| x d)
    z    = W h(t-1) + U x(t) + b, per layer k        lstmK.W     (4H x H), lstmK.U (4H x input), lstmK.b (4H)
    f, i, o, c~ = sigma(z_f), sigma(z_i), sigma(z_o), tanh(z_c)   (the gates stacked in this order)
    c(t) = f * c(t-1) + i * c~;   h(t) = o * tanh(c(t))
    y(t) = softmax(U h(t) + b2)                      lm.U        (|V| x H), lm.b2 (|V|)

The weights are the best epoch's (`best.<name>`: those the chapter reports with). The
test text is read as the chapter reads it (TokenStream in Sources/TextData): one
sentence per line, words split on white space, words outside the vocabulary as <unk>,
the sentences one after another with </s> after each and one </s> in front as the first
input. Evaluation is the chapter's (negativeLogLikelihood in Sources/RecurrentLM): the
stream cut into 10 contiguous columns, each read from a zero state to its end, every
token but the first predicted exactly once; perplexity = exp(mean cross-entropy).

    python3 Scripts/lstm_perplexity.py --checkpoint DIR --test ptb/ptb.test.txt [--json results.json]

With --json (the chapter's `--json` output), the script fails unless its perplexity
agrees with the chapter's `test_perplexity` to 1e-4, relative.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file

COLUMNS = 10  # the chapter evaluates in 10 columns


def load(path):
    if os.path.isdir(path):
        path = os.path.join(path, "chapter07-lm.safetensors")
    with safe_open(path, framework="numpy") as f:
        metadata = f.metadata()
    return load_file(path), metadata, path


def stream(test_path, vocabulary, metadata):
    ids = {word: i for i, word in enumerate(vocabulary)}
    end, unknown = ids[metadata["sentence_end"]], ids[metadata["unknown"]]
    out = [end]
    with open(test_path, encoding="utf-8-sig") as f:
        for line in f.read().split("\n"):
            words = line.split()
            if words:
                out += [ids.get(w, unknown) for w in words] + [end]
    return np.array(out), end


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def perplexity(tensors, metadata, ids, padding):
    prefix, layers = metadata["prefix"], int(metadata["layers"])
    w = {name[len("best."):]: t.astype(np.float64) for name, t in tensors.items() if name.startswith("best.")}
    cells = [(w[f"lstm{k}.W"], w[f"lstm{k}.U"], w[f"lstm{k}.b"]) for k in range(1, layers + 1)]
    embedding, output, bias = w[f"{prefix}.E"], w[f"{prefix}.U"], w[f"{prefix}.b2"]
    predicted = len(ids) - 1
    length = -(-predicted // COLUMNS)  # each column's length, rounded up
    state = [(np.zeros((COLUMNS, W.shape[1])), np.zeros((COLUMNS, W.shape[1]))) for W, _, _ in cells]
    total, count = 0.0, 0
    for t in range(length):
        positions = np.arange(COLUMNS) * length + t
        inside = positions + 1 < len(ids)
        x = embedding[np.where(inside, ids[np.minimum(positions, len(ids) - 1)], padding)]
        for k, (W, U, b) in enumerate(cells):
            h, c = state[k]
            n = h.shape[1]
            z = h @ W.T + x @ U.T + b
            c = sigmoid(z[:, :n]) * c + sigmoid(z[:, n:2 * n]) * np.tanh(z[:, 3 * n:])
            h = sigmoid(z[:, 2 * n:3 * n]) * np.tanh(c)
            state[k] = (h, c)
            x = h
        logits = x @ output.T + bias
        top = logits.max(axis=1, keepdims=True)
        log_probabilities = logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
        targets = ids[np.minimum(positions + 1, len(ids) - 1)]
        total -= log_probabilities[np.arange(COLUMNS), targets][inside].sum()
        count += int(inside.sum())
    assert count == predicted, f"{count} tokens scored, {predicted} expected"
    return math.exp(total / count), count


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkpoint", required=True, help="the checkpoint folder (or its chapter07-lm.safetensors file)")
    parser.add_argument("--test", required=True, help="the test text, one sentence per line (e.g. ptb/ptb.test.txt)")
    parser.add_argument("--json", help="the chapter's --json output: fail unless test_perplexity agrees to 1e-4")
    args = parser.parse_args()
    tensors, metadata, path = load(args.checkpoint)
    if metadata.get("model") != "lstm":
        sys.exit(f"{path}: not a Chapter 7 LSTM language model checkpoint (no model=lstm in its metadata)")
    ids, padding = stream(args.test, json.loads(metadata["vocabulary"]), metadata)
    value, count = perplexity(tensors, metadata, ids, padding)
    print(f"{path}: epoch {metadata['best_epoch']} of {metadata['epochs_done']}, {count} test tokens, perplexity {value:.6f}")
    if args.json:
        with open(args.json, encoding="utf-8") as f:
            chapter = json.load(f)["test_perplexity"]
        relative = abs(value - chapter) / chapter
        print(f"the chapter's test perplexity {chapter:.6f}; relative difference {relative:.2e}")
        if relative > 1e-4:
            sys.exit("disagrees with the chapter by more than 1e-4")


if __name__ == "__main__":
    main()
