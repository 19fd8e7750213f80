#!/usr/bin/env python3
"""Our training speed beside PyTorch's, and our Kneser-Ney estimation beside KenLM's,
measured in one interleaved run on this machine (its speed drifts 10-40% within minutes,
so only ratios from one run mean anything).

Each round runs every measurement once, ours then the peer's, model after model; the
table gives the medians over rounds and ours / peer. Python's standard library only; the
peers are installed outside the package (see ../shared/peers/README.md):

    swift build -c release --product Benchmarks && swift build -c release --product Chapter03
    python3 Scripts/peers_side_by_side.py --rounds 3 \\
        --torch-python ../torch-venv/bin/python --peers ../shared/peers --data ../shared/data \\
        [--lmplz PATH/TO/lmplz]

Ours: `Benchmarks lstm-lm|rnn-lm|gru-lm 5 0` (a warm-up round, then 5 timed rounds of 20
windows: 100 windows, as many as PyTorch's timed batches; their words over their seconds; the
chapters' default threads: BLAS 1, fused ops 2) and `Chapter03 --data-dir DATA` ("estimated the
Kneser-Ney 5-gram model in N s"). The peers: `lstm_lm_bench.py --throughput --models
lstm:2|rnn:1|gru:1` (2 threads, after warm-up batches) and `lmplz -o 5 -S 1G` on the PTB
training text, timed from outside (its <unk> renamed, which KenLM refuses).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

MODELS = [("LSTM LM 2 x 200", "lstm-lm", "lstm:2"), ("RNN LM 1 x 200", "rnn-lm", "rnn:1"), ("GRU LM 1 x 200", "gru-lm", "gru:1")]


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {' '.join(command)}\n{result.stderr[-2000:]}")
    return result.stdout


def ours_words_per_second(binary, mode):
    out = run([binary, mode, "5", "0"])
    match = re.search(r"all rounds together ([\d.]+)\)", out)
    if not match:
        sys.exit(f"no 'all rounds together …' in the output of {binary} {mode}:\n{out}")
    return float(match.group(1))


def peer_words_per_second(python, script, data, spec, batches):
    out = run([python, script, "--data", os.path.join(data, "ptb"), "--throughput", "--models", spec,
               "--warmup", "10", "--batches", str(batches)])
    for line in out.splitlines():
        if line.startswith("{") and "words_per_sec" in line:
            return float(json.loads(line)["words_per_sec"])
    sys.exit(f"no words_per_sec in the output of {script} --models {spec}:\n{out}")


def ours_kneser_ney_seconds(binary, data):
    out = run([binary, "--data-dir", data, "--figures", tempfile.mkdtemp()])
    match = re.search(r"estimated the Kneser-Ney 5-gram model in ([\d.]+) s", out)
    if not match:
        sys.exit(f"no estimation time in Chapter03's output:\n{out[-2000:]}")
    return float(match.group(1))


def kenlm_seconds(lmplz, train):
    with open(train, "rb") as source, tempfile.NamedTemporaryFile(suffix=".arpa") as arpa:
        start = time.perf_counter()
        subprocess.run([lmplz, "-o", "5", "-S", "1G"], stdin=source, stdout=arpa, stderr=subprocess.DEVNULL, check=True)
        return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--torch-python", default="../torch-venv/bin/python")
    parser.add_argument("--peers", default="../shared/peers")
    parser.add_argument("--data", default="../shared/data")
    parser.add_argument("--build", default=".build/release", help="where our release binaries are")
    parser.add_argument("--batches", type=int, default=100, help="PyTorch's timed batches per measurement")
    parser.add_argument("--lmplz", default=None, help="KenLM's lmplz (the n-gram row is left out without it)")
    args = parser.parse_args()
    if args.rounds < 1:
        sys.exit("--rounds must be at least 1")
    benchmarks, chapter3 = os.path.join(args.build, "Benchmarks"), os.path.join(args.build, "Chapter03")
    script = os.path.join(args.peers, "lstm_lm_bench.py")
    for path, what in [(benchmarks, "swift build -c release --product Benchmarks"), (script, "--peers"),
                       (args.torch_python, "--torch-python"), (os.path.join(args.data, "ptb"), "--data")]:
        if not os.path.exists(path):
            sys.exit(f"{path} is missing ({what})")
    kenlm_train = None
    if args.lmplz:
        if not os.path.exists(chapter3):
            sys.exit(f"{chapter3} is missing (swift build -c release --product Chapter03)")
        kenlm_train = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False)
        with open(os.path.join(args.data, "ptb", "ptb.train.txt")) as f:
            kenlm_train.write(f.read().replace("<unk>", "UNK"))
        kenlm_train.close()

    results = {name: ([], []) for name, _, _ in MODELS}
    results["Kneser-Ney 5-gram on PTB train, seconds"] = ([], [])
    for round_number in range(1, args.rounds + 1):
        for name, mode, spec in MODELS:
            results[name][0].append(ours_words_per_second(benchmarks, mode))
            results[name][1].append(peer_words_per_second(args.torch_python, script, args.data, spec, args.batches))
            print(f"round {round_number}: {name}: ours {results[name][0][-1]:,.0f}, PyTorch {results[name][1][-1]:,.0f} words/s",
                  flush=True)
        if kenlm_train:
            key = "Kneser-Ney 5-gram on PTB train, seconds"
            results[key][0].append(ours_kneser_ney_seconds(chapter3, args.data))
            results[key][1].append(kenlm_seconds(args.lmplz, kenlm_train.name))
            print(f"round {round_number}: Kneser-Ney: ours {results[key][0][-1]:.2f} s, KenLM {results[key][1][-1]:.2f} s", flush=True)

    print(f"\n| what ({args.rounds} interleaved rounds, medians) | ours | peer | ours ÷ peer |")
    print("| --- | ---: | ---: | ---: |")
    for name, (ours, peer) in results.items():
        if not ours:
            continue
        o, p = statistics.median(ours), statistics.median(peer)
        if "seconds" in name:  # a time: lower is better, so the ratio is peer ÷ ours, "× faster"
            print(f"| {name} (vs lmplz -o 5 -S 1G) | {o:.2f} | {p:.2f} | {p / o:.2f}× faster |")
        else:
            print(f"| {name} training, words/s (vs PyTorch, 2 threads) | {o:,.0f} | {p:,.0f} | {o / p:.2f}× |")


if __name__ == "__main__":
    main()
