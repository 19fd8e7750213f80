import ArgumentParser
import ChapterKit
import FigureKit
import Foundation
import NGram
import NeuralKit
import RecurrentLM
import TextData

// Reading order: Experiments.swift, BillionWords.swift, CommandLine.swift

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

 <!-- code: Sources/NeuralKit/Layers/Recurrent.swift LSTMCell -->

 The chapter draws one step of the cell from the tape that computed it:
 <!-- output: (opening) -->
*/
/// What Chapter 7 computes and prints, in order; its options are in CommandLine.swift.
extension Chapter07 {
    static let title = "Chapter 7 · Long Short-Term Memory"

    func story(_ results: inout Results) throws {
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
        let parameters = try languageModel(splits, results: &results)
        results.adaptiveSoftmax = try adaptiveSoftmaxComparison(splits, full: results, parameters: parameters)
    }

    /// One step of a small LSTM cell, drawn from its tape.
    func drawCell(to figures: URL) throws {
        var generator = SeededGenerator(seed: options.seed)
        let cell = LSTMCell<Double>(inputSize: 2, hiddenSize: 3, name: "lstm", using: &generator)  // its step: gate by gate
        let tape = Tape<Double>()
        let next = cell(tape.input(.uniform([1, 2], bound: 1, using: &generator), name: "x(t)"),
                        state: LSTMState(hidden: tape.input(.zeros([1, 3]), name: "h(t−1)"),
                                         cell: tape.input(.zeros([1, 3]), name: "c(t−1)")))
        // one output node that depends on both h(t) and c(t), so the figure shows both
        let both = concatenate(columns: [next.hidden, next.cell])
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
                            state: LSTMState(hidden: tape.input(h, name: "h"), cell: tape.input(c, name: "c")))
            (h, c) = (next.hidden.value, next.cell.value)
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
    /// The billion-word section: the full and the adaptive softmax, and the cost table.
    var adaptiveSoftmax: AdaptiveSoftmaxResults?
    var seconds = 0.0
}
