import ArgumentParser
import ChapterKit
import FigureKit
import Foundation
import NGram
import NeuralKit
import RecurrentLM
import TextData

// Reading order: Experiments.swift

/*: # Chapter 7 · Long Short-Term Memory

 Chapter 6 showed the gradient through a plain RNN shrinking by a factor at every step.
 The LSTM (Hochreiter and Schmidhuber 1997) adds a second state, the cell c⁽ᵗ⁾, that is
 changed only by gated *addition*:

 $$
 \begin{aligned}
 f^{(t)} &= \sigma\big(W_f h^{(t-1)} + U_f x^{(t)} + b_f\big) && \text{forget gate: how much of } c^{(t-1)} \text{ to keep} \\
 i^{(t)} &= \sigma\big(W_i h^{(t-1)} + U_i x^{(t)} + b_i\big) && \text{input gate: how much new content to write} \\
 o^{(t)} &= \sigma\big(W_o h^{(t-1)} + U_o x^{(t)} + b_o\big) && \text{output gate: how much of the cell to show} \\
 \tilde{c}^{(t)} &= \tanh\big(W_c h^{(t-1)} + U_c x^{(t)} + b_c\big) && \text{the new content} \\
 c^{(t)} &= f^{(t)} \odot c^{(t-1)} + i^{(t)} \odot \tilde{c}^{(t)} \\
 h^{(t)} &= o^{(t)} \odot \tanh c^{(t)}
 \end{aligned}
 $$

 Along the cell, ∂c⁽ᵗ⁾/∂c⁽ᵗ⁻¹⁾ contains the term diag(f⁽ᵗ⁾): with the forget gate near 1
 the gradient passes back almost unchanged, however far.

 The cell is the library's `LSTMCell`, used by this chapter's language model and by
 Chapter 9; its `step` computes the six equations above:

 <!-- code: Sources/NeuralKit/Recurrent.swift LSTMCell -->

 The chapter draws one step of the cell from the tape that computed it:
 <!-- output: (opening) -->
*/
@main
struct Chapter07: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "Chapter07", abstract: "LSTM: the cell, indefinite memory, lag experiment, LSTM language model.")

    @OptionGroup var options: ChapterOptions

    @OptionGroup var checkpoints: CheckpointOptions

    @Option(help: "Lags k of the memory experiment, comma-separated.")
    var lags = "5,10,20,50,100,200"

    @Option(help: "Hidden size of the memory experiment's RNN and LSTM.")
    var lagHidden = 32

    @Option(help: "Training updates (batches of 32) per model and lag.")
    var lagUpdates = 400

    @Option(help: "Initial forget-gate bias of the memory experiment's LSTM (σ(b) is how much it keeps per step at first).")
    var lagForgetBias = 3.0

    @Option(help: "Adam's learning rate in the memory experiment.")
    var lagLearningRate: Float = 0.003

    @Option(help: "Language model: training epochs (default: 2 on the Penn Treebank, 8 on the sample).")
    var epochs: Int?

    @Option(help: "Language model: stacked LSTM layers.")
    var layers = 2

    @Option(help: "Language model: hidden size (and embedding size).")
    var hidden = 200

    @Option(help: "Language model: SGD learning rate on the mean loss (20 = Zaremba et al.'s 1 on a loss summed over 20 steps).")
    var learningRate: Float = 20

    @Option(help: "Language model: clip the gradient's norm to this (0.25 here = Zaremba et al.'s 5).")
    var clip = 0.25

    @Option(help: "Language model: keep the learning rate for this many epochs, then halve it after each.")
    var decayAfter = 4

    @Option(help: "Also train Chapter 5's one-layer RNN language model with the same settings, for comparison.")
    var compareRNN = false

    @Option(help: "OpenBLAS threads (the output layer runs its own two threads).")
    var blasThreads = 1

    func validate() throws {
        try OptionCheck.positiveList(lags, "--lags", example: "5,10,20")
        try OptionCheck.atLeast(1, lagHidden, "--lag-hidden")
        try OptionCheck.atLeast(1, lagUpdates, "--lag-updates")
        try OptionCheck.finite(lagForgetBias, "--lag-forget-bias")
        try OptionCheck.positive(lagLearningRate, "--lag-learning-rate")
        try OptionCheck.atLeast(1, epochs, "--epochs")
        try OptionCheck.atLeast(1, layers, "--layers")
        try OptionCheck.atLeast(1, hidden, "--hidden")
        try OptionCheck.positive(learningRate, "--learning-rate")
        try OptionCheck.nonNegative(clip, "--clip")
        try OptionCheck.atLeast(0, decayAfter, "--decay-after")
        try OptionCheck.atLeast(1, blasThreads, "--blas-threads")
        try checkMemory(vocabularySize: 10_000)
    }

    /// Each LSTM layer has 4 gates of H × (H + H) weights; E and U are |V| × H. Refused up
    /// front with PTB's |V|, and again with the corpus's own |V| once it is read.
    func checkMemory(vocabularySize v: Int) throws {
        let (h, v) = (Double(hidden), Double(v))
        try OptionCheck.fitsInMemory(scalars: Double(layers) * 4 * h * (2 * h + 1) + 2 * v * h + v,
                                     what: "The LSTM language model", options: "--hidden or --layers")
        try OptionCheck.fitsInMemory(scalars: 4 * Double(lagHidden) * (2 * Double(lagHidden) + 1),
                                     what: "The memory experiment's LSTM", options: "--lag-hidden")
    }

    func run() throws {
        BLAS.threads = blasThreads
        Memory.reuseLargeBlocks()
        let clock = ContinuousClock(), start = clock.now
        var results = Results()
        let figures = URL(fileURLWithPath: options.figures, isDirectory: true)
        say("# Chapter 7 · Long Short-Term Memory\n")
        options.useKernels()
        // The corpus is read (and its vocabulary checked against memory) before the
        // experiments, so a bad file stops the run at once, not after the memory task.
        let splits = try LanguageModellingSplits(dataDirectory: options.dataDir)
        try checkMemory(vocabularySize: splits.train.vocabulary.count)
        try checkpoints.requireSaved("chapter07-lm")  // before the memory experiment's training
        try drawCell(to: figures)
        results.memoryKeptExactly = indefiniteMemory()
        let lagResults = try lagExperiment(figures: figures)
        results.lagAccuracy = lagResults.accuracy
        results.largestLagLearned = lagResults.largest
        results.maxLagRnn = lagResults.largest["rnn"] ?? 0
        results.maxLagLstm = lagResults.largest["lstm"] ?? 0
        try languageModel(splits, results: &results)
        results.seconds = (clock.now - start).seconds
        say(String(format: "\nTotal time: %.1f s", results.seconds))
        if let json = options.json { try writeResults(results, to: json) }
    }

    /// One step of a small LSTM cell, drawn from its tape.
    func drawCell(to figures: URL) throws {
        var generator = SeededGenerator(seed: options.seed)
        var cell = LSTMCell<Double>(inputSize: 2, hiddenSize: 3, name: "lstm", using: &generator)
        cell.fused = false  // the readable form, gate by gate
        let tape = Tape<Double>()
        let next = cell(tape.input(.uniform([1, 2], bound: 1, using: &generator), name: "x(t)"),
                        state: [tape.input(.zeros([1, 3]), name: "h(t−1)"), tape.input(.zeros([1, 3]), name: "c(t−1)")])
        // one output node that depends on both h(t) and c(t), so the figure shows both
        let both = concatenate(columns: [next[0], next[1]])
        let graph = ComputationGraph(tape: tape, output: both,
                                     title: "LSTM cell, one step: c(t) = f ⊙ c(t−1) + i ⊙ c̃,  h(t) = o ⊙ tanh(c(t))  (output: [h(t) c(t)])")
        let urls = try GraphvizRenderer.render(graph, to: figures, name: "chapter07-lstm-cell")
        say("Figure: " + urls.map(\.relativePath).joined(separator: ", "))
    }

    /*: ## Memory that lasts

     The slides' claim, run as stated: a cell whose forget gate is fixed at 1 and input
     gate at 0 (no weights into them, biases ±1000, so σ gives exactly 1 and exactly 0)
     reads 1,000 random inputs, and its cell state comes out bit for bit as it went in.
     A plain RNN has no such switch: its state is rewritten by W_h at every step.
     <!-- output: Forget gate 1, input gate 0 -->
    */
    func indefiniteMemory() -> Bool {
        var generator = SeededGenerator(seed: options.seed)
        let (d, n) = (3, 4)
        let cell = LSTMCell<Double>(inputSize: d, hiddenSize: n, name: "lstm", using: &generator)
        var w = cell.recurrentWeight.value, u = cell.inputWeight.value, b = cell.bias.value
        for row in 0..<(2 * n) {
            for k in 0..<n { w.scalars[row * n + k] = 0 }
            for k in 0..<d { u.scalars[row * d + k] = 0 }
            b.scalars[row] = row < n ? 1000 : -1000
        }
        (cell.recurrentWeight.value, cell.inputWeight.value, cell.bias.value) = (w, u, b)
        let c0 = Tensor<Double>.uniform([1, n], bound: 3, using: &generator)
        var h = Tensor<Double>.zeros([1, n]), c = c0
        for _ in 0..<1000 {
            let tape = Tape<Double>()
            let next = cell(tape.input(.uniform([1, d], bound: 5, using: &generator), name: "x"),
                            state: [tape.input(h, name: "h"), tape.input(c, name: "c")])
            (h, c) = (next[0].value, next[1].value)
        }
        say("\n## Forget gate 1, input gate 0: the cell after 1,000 steps of random input")
        say("  c(0)    = " + c0.scalars.map { String(format: "%+.17f", $0) }.joined(separator: " "))
        say("  c(1000) = " + c.scalars.map { String(format: "%+.17f", $0) }.joined(separator: " "))
        let same = c.scalars == c0.scalars
        say("  identical bit for bit: \(same)")
        return same
    }
}

// book: details What --json FILE writes
/// What `--json FILE` writes.
struct Results: Encodable {
    var memoryKeptExactly = false
    var lagAccuracy: [String: [String: Double]] = [:]
    var largestLagLearned: [String: Int] = [:]
    var maxLagRnn = 0
    var maxLagLstm = 0
    var validPerplexity = 0.0
    var testPerplexity = 0.0
    var trainSeconds = 0.0
    var wordsPerSecond = 0.0
    var epochValidPerplexity: [Double] = []
    var epochTestPerplexity: [Double] = []
    var rnnValidPerplexity: Double?
    var rnnTestPerplexity: Double?
    var seconds = 0.0
}
