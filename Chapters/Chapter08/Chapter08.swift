import ArgumentParser
import ChapterKit
import FigureKit
import Foundation
import NeuralKit
import RecurrentLM
import TextData

// Reading order: Comparison.swift, CommandLine.swift

/*: # Chapter 8 · Gated Recurrent Units

 The GRU (Cho et al. 2014) keeps the LSTM's idea, gated addition to the state, with less
 machinery: two gates instead of three, and no separate cell:

 $$
 \begin{aligned}
 z^{(t)} &= \sigma\big(W_z h^{(t-1)} + U_z x^{(t)} + b_z\big) && \text{update gate} \\
 r^{(t)} &= \sigma\big(W_r h^{(t-1)} + U_r x^{(t)} + b_r\big) && \text{reset gate} \\
 \hat{h}^{(t)} &= \tanh\big(W_h (r^{(t)} \odot h^{(t-1)}) + U_h x^{(t)} + b_h\big) && \text{candidate} \\
 h^{(t)} &= (1 - z^{(t)}) \odot h^{(t-1)} + z^{(t)} \odot \hat{h}^{(t)}
 \end{aligned}
 $$

 The names are Chapter 7's: W multiplies the previous state h⁽ᵗ⁻¹⁾, U the input x⁽ᵗ⁾.
 With z⁽ᵗ⁾ = 0 the state is copied forward unchanged, the GRU's version of the LSTM's
 forget gate at 1. This chapter draws the cell and then measures the slides' comparison
 table instead of quoting it: gates, state, parameters, time per training step, and
 quality on the same two tasks for the plain RNN, the LSTM and the GRU.

 The cell is the library's `GRUCell`, beside Chapter 5's `RNNCell` and Chapter 7's
 `LSTMCell`; its `step` computes the four equations above:

 <!-- code: Sources/NeuralKit/Layers/Recurrent.swift GRUCell -->

 The chapter draws one step of the cell, then checks the copy with z = 0 on 1,000 steps:
 <!-- output: (opening) -->
 <!-- output: With z = 0 the state is copied -->
*/
/// What Chapter 8 computes and prints, in order; its options are in CommandLine.swift.
extension Chapter08 {
    static let title = "Chapter 8 · Gated Recurrent Units"

    func story(_ results: inout Results) throws {
        try drawCell(to: figures)
        say("\n## With z = 0 the state is copied: h after 1,000 steps equals h(0) bit for bit: \(copiesItsState())")
        results.comparison = try compare()
    }

    func drawCell(to figures: URL) throws {
        var generator = SeededGenerator(seed: options.seed)
        let cell = GRUCell<Double>(inputSize: 2, hiddenSize: 3, name: "gru", using: &generator)
        let tape = Tape<Double>()
        let h = cell(tape.input(.uniform([1, 2], bound: 1, using: &generator), name: "x(t)"),
                     state: HiddenState(hidden: tape.input(.zeros([1, 3]), name: "h(t−1)"))).hidden
        let graph = ComputationGraph(tape: tape, output: h,
                                     title: "GRU cell, one step: h(t) = (1 − z) ⊙ h(t−1) + z ⊙ ĥ,  ĥ = tanh(W_h (r ⊙ h(t−1)) + U_h x + b_h)")
        let urls = try GraphvizRenderer.render(graph, to: figures, name: "chapter08-gru-cell")
        say("Figure: " + urls.map(\.relativePath).joined(separator: ", "))
    }

    /// z fixed at 0 (no weights into the update gate, bias −1000): h(1000) == h(0).
    func copiesItsState() -> Bool {
        var generator = SeededGenerator(seed: options.seed)
        let (d, n) = (3, 4)
        let cell = GRUCell<Double>(inputSize: d, hiddenSize: n, name: "gru", updateBias: -1000, using: &generator)
        var u = cell.inputWeight.value, w = cell.gateWeight.value
        for row in 0..<n {  // the update gate's rows: U_z (of U) and W_z (of W_zr)
            for k in 0..<d { u.scalars[row * d + k] = 0 }
            for k in 0..<n { w.scalars[row * n + k] = 0 }
        }
        (cell.inputWeight.value, cell.gateWeight.value) = (u, w)
        let h0 = Tensor<Double>.uniform([1, n], bound: 1, using: &generator)
        var h = h0
        for _ in 0..<1000 {
            let tape = Tape<Double>()
            h = cell(tape.input(.uniform([1, d], bound: 5, using: &generator), name: "x"), state: HiddenState(hidden: tape.input(h, name: "h"))).hidden.value
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
