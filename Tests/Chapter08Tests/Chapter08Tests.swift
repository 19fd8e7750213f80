import Foundation
import NeuralKit
import RecurrentLM
import XCTest
@testable import Chapter08

final class Chapter08Tests: XCTestCase {
    /// Parameters counted in the models equal the formula: blocks × (H·d + H·H + H) for the
    /// recurrent layer (1 for the plain RNN, 4 for the LSTM, 3 for the GRU), plus E, U, b2.
    func testParameterCountsEqualTheFormula() {
        for (v, d, h) in [(10, 3, 5), (101, 16, 32)] {
            var g = SeededGenerator(seed: 1)
            let shared = v * d + v * h + v
            let rnn = RecurrentLanguageModel(vocabularySize: v, embeddingSize: d,
                                             layers: [RNNCell<Float>(inputSize: d, hiddenSize: h, name: "rnn", using: &g)], name: "a", using: &g)
            let lstm = RecurrentLanguageModel(vocabularySize: v, embeddingSize: d,
                                              layers: [LSTMCell<Float>(inputSize: d, hiddenSize: h, name: "lstm", using: &g)], name: "b", using: &g)
            let gru = RecurrentLanguageModel(vocabularySize: v, embeddingSize: d,
                                             layers: [GRUCell<Float>(inputSize: d, hiddenSize: h, name: "gru", using: &g)], name: "c", using: &g)
            // by hand, block by block
            XCTAssertEqual(rnn.parameters.parameterCount(), shared + (h * d + h * h + h))
            XCTAssertEqual(lstm.parameters.parameterCount(), shared + 4 * (h * d + h * h + h))
            XCTAssertEqual(gru.parameters.parameterCount(), shared + 3 * (h * d + h * h + h))
            XCTAssertEqual(Chapter08.cellParameters(blocks: 3, input: d, hidden: h), 3 * (h * d + h * h + h))
        }
    }

    /// With the update gate at exactly 0 the GRU copies its state: the chapter's run, and
    /// here once more by hand for a batch of two rows with random inputs.
    func testZeroUpdateGateCopiesTheState() throws {
        XCTAssertTrue(try Chapter08.parse([]).copiesItsState())
        var g = SeededGenerator(seed: 4)
        let cell = GRUCell<Double>(inputSize: 2, hiddenSize: 3, name: "gru", updateBias: -1000, using: &g)
        var w = cell.inputWeight.value, u = cell.gateWeight.value
        for row in 0..<3 {
            for k in 0..<2 { w.scalars[row * 2 + k] = 0 }
            for k in 0..<3 { u.scalars[row * 3 + k] = 0 }
        }
        (cell.inputWeight.value, cell.gateWeight.value) = (w, u)
        let h0 = Tensor<Double>.uniform([2, 3], bound: 1, using: &g)
        let t = Tape<Double>()
        let h1 = cell(t.input(.uniform([2, 2], bound: 3, using: &g), name: "x"), state: [t.input(h0, name: "h")])[0]
        XCTAssertEqual(h1.value.scalars, h0.scalars)
    }
}
