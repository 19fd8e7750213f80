import Foundation
import NeuralKit
import RecurrentLM
import XCTest
@testable import Chapter08

final class Chapter08Tests: XCTestCase {
    /// Parameters counted by hand: every tensor of each model, by name, has the shape the
    /// slides give its matrix, and the sum of the tensors' element counts equals the
    /// slides' matrices counted one by one (E: |V|×d; U: |V|×H; b2: |V|; per gate block of
    /// the recurrent layer a matrix on h (H×H), one on x (H×d) and a bias (H): the RNN's
    /// W_h, W_e, b1; the LSTM's f, i, o, c̃; the GRU's z, r, h).
    func testParameterCountsEqualTheFormula() {
        for (v, d, h) in [(10, 3, 5), (101, 16, 32)] {
            var g = SeededGenerator(seed: 1)
            let rnn = RecurrentLanguageModel(vocabularySize: v, embeddingSize: d,
                                             layers: [RNNCell<Float>(inputSize: d, hiddenSize: h, name: "rnn", using: &g)], name: "a", using: &g)
            let lstm = RecurrentLanguageModel(vocabularySize: v, embeddingSize: d,
                                              layers: [LSTMCell<Float>(inputSize: d, hiddenSize: h, name: "lstm", using: &g)], name: "b", using: &g)
            let gru = RecurrentLanguageModel(vocabularySize: v, embeddingSize: d,
                                             layers: [GRUCell<Float>(inputSize: d, hiddenSize: h, name: "gru", using: &g)], name: "c", using: &g)
            func shapes(_ parameters: [Parameter<Float>]) -> [String: [Int]] {
                Dictionary(uniqueKeysWithValues: parameters.map { ($0.name, $0.shape) })
            }
            func elements(_ parameters: [Parameter<Float>]) -> Int { parameters.reduce(0) { $0 + $1.value.scalars.count } }
            // the tensors, by name and shape
            XCTAssertEqual(shapes(rnn.parameters), ["a.E": [v, d], "rnn.W_h": [h, h], "rnn.W_e": [h, d], "rnn.b1": [h],
                                                    "a.U": [v, h], "a.b2": [v]])
            XCTAssertEqual(shapes(lstm.parameters), ["b.E": [v, d], "lstm.W": [4 * h, h], "lstm.U": [4 * h, d], "lstm.b": [4 * h],
                                                     "b.U": [v, h], "b.b2": [v]])
            XCTAssertEqual(shapes(gru.parameters), ["c.E": [v, d], "gru.U": [3 * h, d], "gru.W_zr": [2 * h, h], "gru.W_h": [h, h],
                                                    "gru.b": [3 * h], "c.U": [v, h], "c.b2": [v]])
            // the slides' matrices, one by one
            let outside = [v * d, v * h, v].reduce(0, +)  // E, U, b2
            func slides(_ gates: [String]) -> Int {
                gates.map { _ in h * h }.reduce(0, +) + gates.map { _ in h * d }.reduce(0, +) + gates.map { _ in h }.reduce(0, +)
            }
            XCTAssertEqual(elements(rnn.parameters), outside + slides(["h"]))
            XCTAssertEqual(elements(lstm.parameters), outside + slides(["f", "i", "o", "c̃"]))
            XCTAssertEqual(elements(gru.parameters), outside + slides(["z", "r", "h"]))
            XCTAssertLessThan(elements(gru.parameters), elements(lstm.parameters))
            // the chapter's printed formula agrees with the count
            XCTAssertEqual(Chapter08.cellParameters(blocks: 3, input: d, hidden: h), elements(gru.parameters) - outside)
            XCTAssertEqual(Chapter08.cellParameters(blocks: 4, input: d, hidden: h), elements(lstm.parameters) - outside)
        }
    }

    /// The slides' claim, computed here: with the update gate at exactly 0 (the chapter's
    /// convention h(t) = (1 − z) ⊙ h(t−1) + z ⊙ ĥ(t)), h(t) = h(t−1), so the GRU keeps h(0)
    /// bit for bit through 1,000 steps of random input, on the readable step and the
    /// whole-window kernel. U_z's and W_z's rows are zeroed and b_z = −1000, where σ is exactly 0
    /// in Double. Control: with z = σ(−6) > 0 the same run does not copy.
    func testZeroUpdateGateCopiesTheState() {
        let (d, n, batch, steps) = (3, 4, 2, 1000)
        for (updateBias, copies) in [(-1000.0, true), (-6.0, false)] {
            for run in [WindowRun.stepByStep, .wholeWindow] {
                var g = SeededGenerator(seed: 4)
                let cell = GRUCell<Double>(inputSize: d, hiddenSize: n, name: "gru", updateBias: updateBias, using: &g)
                var u = cell.inputWeight.value, w = cell.gateWeight.value
                for row in 0..<n {  // the update gate's rows: U_z (of U = [U_z; U_r; U_h]) and W_z (of W_zr)
                    for k in 0..<d { u.scalars[row * d + k] = 0 }
                    for k in 0..<n { w.scalars[row * n + k] = 0 }
                }
                (cell.inputWeight.value, cell.gateWeight.value) = (u, w)
                let h0 = Tensor<Double>.uniform([batch, n], bound: 1, using: &g)
                let xs = Tensor<Double>.uniform([steps * batch, d], bound: 5, using: &g)
                var h = h0
                for t in 0..<steps {
                    let tape = Tape<Double>()
                    let x = Tensor<Double>(shape: [batch, d], scalars: Array(xs.scalars[(t * batch * d)..<((t + 1) * batch * d)]))
                    h = cell(tape.input(x, name: "x"), state: HiddenState(hidden: tape.input(h, name: "h"))).hidden.value
                }
                let tape = Tape<Double>()
                let final = cell.window(projected: cell.projectInputs(tape.input(xs, name: "x")), steps: steps,
                                        state: HiddenState(hidden: tape.input(h0, name: "h")), run: run).state.hidden.value
                let label = "\(run), z bias \(updateBias)"
                if copies {
                    XCTAssertEqual(h.scalars, h0.scalars, "step by step, " + label)
                    XCTAssertEqual(final.scalars, h0.scalars, "whole window, " + label)
                } else {
                    XCTAssertNotEqual(h.scalars, h0.scalars, "step by step, " + label)
                    XCTAssertNotEqual(final.scalars, h0.scalars, "whole window, " + label)
                }
            }
        }
    }
}
