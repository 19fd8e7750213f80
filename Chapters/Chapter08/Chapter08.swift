import ArgumentParser
import ChapterKit
import FigureKit
import Foundation
import NeuralKit
import RecurrentLM
import TextData

// Reading order: Comparison.swift

/*: # Chapter 8 · Gated Recurrent Units

 The GRU (Cho et al. 2014) keeps the LSTM's idea, gated addition to the state, with less
 machinery: two gates instead of three, and no separate cell:

 $$
 \begin{aligned}
 z^{(t)} &= \sigma\big(W_z x^{(t)} + U_z h^{(t-1)} + b_z\big) && \text{update gate} \\
 r^{(t)} &= \sigma\big(W_r x^{(t)} + U_r h^{(t-1)} + b_r\big) && \text{reset gate} \\
 \hat{h}^{(t)} &= \tanh\big(W_h x^{(t)} + U_h (r^{(t)} \odot h^{(t-1)}) + b_h\big) && \text{candidate} \\
 h^{(t)} &= (1 - z^{(t)}) \odot h^{(t-1)} + z^{(t)} \odot \hat{h}^{(t)}
 \end{aligned}
 $$

 With z⁽ᵗ⁾ = 0 the state is copied forward unchanged, the GRU's version of the LSTM's
 forget gate at 1. This chapter draws the cell and then measures the slides' comparison
 table instead of quoting it: gates, state, parameters, time per training step, and
 quality on the same two tasks for the plain RNN, the LSTM and the GRU.

 The cell is the library's `GRUCell`, beside Chapter 5's `RNNCell` and Chapter 7's
 `LSTMCell`; its `step` computes the four equations above:

 <!-- code: Sources/NeuralKit/Recurrent.swift GRUCell -->

 The chapter draws one step of the cell, then checks the copy with z = 0 on 1,000 steps:
 <!-- output: (opening) -->
 <!-- output: With z = 0 the state is copied -->
*/
@main
struct Chapter08: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Chapter08", abstract: "GRU: the cell, and the RNN / LSTM / GRU comparison, measured.")

    @OptionGroup var options: ChapterOptions

    @OptionGroup var checkpoints: CheckpointOptions

    @Option(help: "Language models: epochs each (default: 1 on the Penn Treebank, 6 on the sample).")
    var epochs: Int?

    @Option(help: "Language models: hidden size (and embedding size).")
    var hidden = 200

    @Option(help: "Lags of the memory task, comma-separated.")
    var lags = "20,50,100"

    @Option(help: "Memory task: updates per model and lag.")
    var lagUpdates = 400

    @Option(help: "OpenBLAS threads (the output layer runs its own two threads).")
    var blasThreads = 1

    func validate() throws {
        try OptionCheck.atLeast(1, epochs, "--epochs")
        try OptionCheck.atLeast(1, hidden, "--hidden")
        try OptionCheck.positiveList(lags, "--lags", example: "20,50,100")
        try OptionCheck.atLeast(1, lagUpdates, "--lag-updates")
        try OptionCheck.atLeast(1, blasThreads, "--blas-threads")
        try checkMemory(vocabularySize: 10_000)
    }

    /// Three LMs (RNN, GRU, LSTM: at most 4 gates of H × 2H) with |V| × H embeddings and
    /// output. Refused up front with PTB's |V|, and again with the corpus's own |V| once read.
    func checkMemory(vocabularySize v: Int) throws {
        let (h, v) = (Double(hidden), Double(v))
        try OptionCheck.fitsInMemory(scalars: 4 * h * (2 * h + 1) + 2 * v * h + v,
                                     what: "The language models", options: "--hidden")
    }

    func run() throws {
        BLAS.threads = blasThreads
        Memory.reuseLargeBlocks()
        let clock = ContinuousClock(), start = clock.now
        var results = Results()
        let figures = URL(fileURLWithPath: options.figures, isDirectory: true)
        say("# Chapter 8 · Gated Recurrent Units\n")
        options.useKernels()
        try drawCell(to: figures)
        say("\n## With z = 0 the state is copied: h after 1,000 steps equals h(0) bit for bit: \(copiesItsState())")
        results.comparison = try compare()
        results.seconds = (clock.now - start).seconds
        say(String(format: "\nTotal time: %.1f s", results.seconds))
        if let json = options.json { try writeResults(results, to: json) }
    }

    func drawCell(to figures: URL) throws {
        var generator = SeededGenerator(seed: options.seed)
        let cell = GRUCell<Double>(inputSize: 2, hiddenSize: 3, name: "gru", using: &generator)
        let tape = Tape<Double>()
        let h = cell(tape.input(.uniform([1, 2], bound: 1, using: &generator), name: "x(t)"),
                     state: [tape.input(.zeros([1, 3]), name: "h(t−1)")])[0]
        let graph = ComputationGraph(tape: tape, output: h,
                                     title: "GRU cell, one step: h(t) = (1 − z) ⊙ h(t−1) + z ⊙ ĥ,  ĥ = tanh(W_h x + U_h (r ⊙ h(t−1)) + b_h)")
        let urls = try GraphvizRenderer.render(graph, to: figures, name: "chapter08-gru-cell")
        say("Figure: " + urls.map(\.relativePath).joined(separator: ", "))
    }

    /// z fixed at 0 (no weights into the update gate, bias −1000): h(1000) == h(0).
    func copiesItsState() -> Bool {
        var generator = SeededGenerator(seed: options.seed)
        let (d, n) = (3, 4)
        let cell = GRUCell<Double>(inputSize: d, hiddenSize: n, name: "gru", updateBias: -1000, using: &generator)
        var w = cell.inputWeight.value, u = cell.gateWeight.value
        for row in 0..<n {  // the update gate's rows: W_z and U_z
            for k in 0..<d { w.scalars[row * d + k] = 0 }
            for k in 0..<n { u.scalars[row * n + k] = 0 }
        }
        (cell.inputWeight.value, cell.gateWeight.value) = (w, u)
        let h0 = Tensor<Double>.uniform([1, n], bound: 1, using: &generator)
        var h = h0
        for _ in 0..<1000 {
            let tape = Tape<Double>()
            h = cell(tape.input(.uniform([1, d], bound: 5, using: &generator), name: "x"), state: [tape.input(h, name: "h")])[0].value
        }
        return h.scalars == h0.scalars
    }
}

// book: details What --json FILE writes
/// One row of the comparison.
struct ModelComparison: Encodable {
    var gates = 0
    var cellState = false
    var parameters = 0
    var parametersByFormula = 0
    var secondsPerStep = 0.0
    var wordsPerSecond = 0.0
    var validPerplexity = 0.0
    var testPerplexity = 0.0
    var lagAccuracy: [String: Double] = [:]
}

/// What `--json FILE` writes.
struct Results: Encodable {
    var comparison: [String: ModelComparison] = [:]
    var seconds = 0.0
}
