import Foundation
import NeuralKit
import RecurrentLM
import TrainingKit
import TextData

/// Benchmarks whose figures the README and the issue notes quote. Each configuration is
/// run in turn, round after round, so that a slow spell of a noisy machine hits all of
/// them alike; the figure is the median over rounds.
///
///     swift run -c release Benchmarks rnn-lm|lstm-lm|gru-lm|gru-lstm|gemm|softmax-cost [rounds [configuration]]
///
/// rnn-lm: training windows of the Chapter 5 RNN language model at Penn Treebank sizes
/// (|V| = 10,000, d = H = 200, batch 20, BPTT 20, SGD with clipping), on random word ids;
/// lstm-lm: the same for Chapter 7's two-layer LSTM (2 × 200, Zaremba et al.'s small
/// model); gru-lm: a one-layer GRU (1 × 200), as PyTorch's `gru:1` in the peers' script.
/// Prints words per second per configuration: the median over rounds, and all rounds
/// together (their words over their seconds). They run on the fast kernels, as
/// real-data training does (BENCH_KERNELS=exact for the exact ones).
/// gru-lstm: Chapter 8's "the GRU is faster": one-layer LSTM and GRU language models at
/// Chapter 8's sizes and training (d = H = 200, Adam), interleaved round by round; the
/// median milliseconds per training step of each, and their ratio.
/// softmax-cost: the output layer's time per step, full against adaptive softmax, as the
/// vocabulary grows to the billion-word benchmark's (see `SoftmaxCost.swift`).
/// gemm: GFLOP/s of the exact and the fast Float matrix products at the sizes the
/// chapters use (see `GEMMBenchmark.swift`).
let arguments = CommandLine.arguments.dropFirst()
guard let mode = arguments.first, ["rnn-lm", "lstm-lm", "gru-lm", "gru-lstm", "gemm", "softmax-cost"].contains(mode) else {
    print("usage: Benchmarks rnn-lm|lstm-lm|gru-lm|gru-lstm|gemm|softmax-cost [rounds [configuration]]")
    exit(2)
}
let rounds = arguments.dropFirst().first.flatMap(Int.init) ?? 5
if mode == "gemm" {
    gemmBenchmark(rounds: rounds)
    exit(0)
}
if mode == "softmax-cost" {
    softmaxCostBenchmark(rounds: rounds, figures: arguments.dropFirst(2).first)
    exit(0)
}
Kernels.choice = ProcessInfo.processInfo.environment["BENCH_KERNELS"] == "exact" ? .exact : .fast
print(Kernels.summary)
/// An optional third argument runs only that configuration (0, 1, 2), for profiling.
let only = arguments.dropFirst(2).first.flatMap(Int.init)
Memory.reuseLargeBlocks()
let v = Int(ProcessInfo.processInfo.environment["BENCH_V"] ?? "") ?? 10_000, d = 200, h = 200, batch = 20, bptt = 20, windowsPerRound = 20
var generator = SeededGenerator(seed: 1)
let ids = (0..<(batch * bptt * windowsPerRound + 1)).map { _ in generator.nextInt(below: v) }
let stream = TokenStream(ids: ids, padding: 0)

if mode == "gru-lstm" {
    BLAS.threads = 1  // Chapter 8's default (--blas-threads 1); the fused ops on their 2 threads
    FusedKernels.threads = 2
    var chapter8 = RecurrentTrainingSettings()
    chapter8.method = .adam
    chapter8.learningRate = 0.001
    var stepSeconds: [String: [Double]] = ["lstm": [], "gru": []]
    for round in 0...rounds {
        for name in ["lstm", "gru"] {
            var g = SeededGenerator(seed: 2)
            var optimizer = RecurrentOptimizer<Float>(.adam, learningRate: 0.001)
            let report: EpochReport
            if name == "lstm" {
                var model = RecurrentLanguageModel(vocabularySize: v, embeddingSize: d,
                                                   layers: [LSTMCell<Float>(inputSize: d, hiddenSize: h, name: "lstm", using: &g)], name: "lm", using: &g)
                model.recurrence = .wholeWindow  // LSTMWindowKernel, as Chapter 8 trains
                report = try model.trainEpoch(on: stream, settings: chapter8, optimizer: &optimizer, epoch: 1, label: "")
            } else {
                var model = RecurrentLanguageModel(vocabularySize: v, embeddingSize: d,
                                                   layers: [GRUCell<Float>(inputSize: d, hiddenSize: h, name: "gru", using: &g)], name: "lm", using: &g)
                model.recurrence = .wholeWindow  // GRUWindowKernel, as Chapter 8 trains
                report = try model.trainEpoch(on: stream, settings: chapter8, optimizer: &optimizer, epoch: 1, label: "")
            }
            if round > 0 { stepSeconds[name]!.append(report.seconds / Double(max(report.windows, 1))) }  // round 0 warms up
        }
    }
    print("LSTM vs GRU LM (1 × 200) training step, |V| = \(v), d = H = \(h), batch \(batch) × BPTT \(bptt), Adam + clipping; \(rounds) rounds × \(windowsPerRound) windows")
    for name in ["lstm", "gru"] {
        let r = stepSeconds[name]!.sorted()
        print(String(format: "  %@  median %.2f ms per step  (min %.2f, max %.2f)", name.uppercased(), 1000 * median(r), 1000 * r.first!, 1000 * r.last!))
    }
    print(String(format: "  GRU / LSTM time per step (medians): %.3f", median(stepSeconds["gru"]!) / median(stepSeconds["lstm"]!)))
    exit(0)
}

struct Configuration { let name: String; let blasThreads: Int; let fusedThreads: Int }
let configurations = [
    Configuration(name: "BLAS 1 thread, fused op on 2 threads (Chapter 5's default)", blasThreads: 1, fusedThreads: 2),
    Configuration(name: "BLAS 2 threads, fused op on 1 thread", blasThreads: 2, fusedThreads: 1),
    Configuration(name: "BLAS 2 threads, fused op on 2 threads", blasThreads: 2, fusedThreads: 2),
]
var rates = [[Double]](repeating: [], count: configurations.count)
var totals = [(words: Int, seconds: Double)](repeating: (0, 0), count: configurations.count)
var settings = RecurrentTrainingSettings()
settings.learningRate = 1
for round in 0...rounds {
    for (c, configuration) in configurations.enumerated() where only == nil || only == c {
        BLAS.threads = configuration.blasThreads
        FusedKernels.threads = configuration.fusedThreads
        var g = SeededGenerator(seed: 2)
        var optimizer = RecurrentOptimizer<Float>(.sgd, learningRate: 1)
        let report: EpochReport
        if mode == "rnn-lm" {
            let cell = RNNCell<Float>(inputSize: d, hiddenSize: h, name: "rnn", using: &g)
            let model = RecurrentLanguageModel(vocabularySize: v, embeddingSize: d, layers: [cell], name: "rnn", using: &g)
            // (The model's default recurrence: RNNWindowKernel, as Chapter 5 trains.)
            report = try model.trainEpoch(on: stream, settings: settings, optimizer: &optimizer, epoch: 1, label: "")
        } else if mode == "gru-lm" {
            var model = RecurrentLanguageModel(vocabularySize: v, embeddingSize: d,
                                               layers: [GRUCell<Float>(inputSize: d, hiddenSize: h, name: "gru", using: &g)], name: "lm", using: &g)
            model.recurrence = .wholeWindow  // GRUWindowKernel, as Chapter 8 trains
            report = try model.trainEpoch(on: stream, settings: settings, optimizer: &optimizer, epoch: 1, label: "")
        } else {
            let cells = [LSTMCell<Float>(inputSize: d, hiddenSize: h, name: "lstm1", using: &g),
                         LSTMCell<Float>(inputSize: h, hiddenSize: h, name: "lstm2", using: &g)]
            var model = RecurrentLanguageModel(vocabularySize: v, embeddingSize: d, layers: cells, name: "lm", using: &g)
            model.recurrence = .wholeWindow  // LSTMWindowKernel, as Chapter 7 trains
            report = try model.trainEpoch(on: stream, settings: settings, optimizer: &optimizer, epoch: 1, label: "")
        }
        if round > 0 {  // round 0 warms up
            rates[c].append(report.wordsPerSecond)
            totals[c].words += report.words
            totals[c].seconds += report.seconds
        }
    }
}
print("\(["rnn-lm": "RNN LM (1 × 200)", "gru-lm": "GRU LM (1 × 200)"][mode] ?? "LSTM LM (2 × 200)") training step, |V| = \(v), d = H = \(h), batch \(batch) × BPTT \(bptt), SGD + clipping; \(rounds) rounds × \(windowsPerRound) windows")
for (c, configuration) in configurations.enumerated() where !rates[c].isEmpty {
    let sorted = rates[c].sorted()
    print(String(format: "  %-60@ median %6.0f words/s  (min %.0f, max %.0f; all rounds together %.0f)", configuration.name as NSString,
                 sorted[sorted.count / 2], sorted.first!, sorted.last!, Double(totals[c].words) / totals[c].seconds))
}
