import Foundation
import NeuralKit
import RecurrentLM
import TextData
import XCTest
@testable import Chapter07

final class Chapter07Tests: XCTestCase {
    /// Backpropagation through a short unrolled sequence of a two-layer LSTM language
    /// model, batched and step by step, against finite differences.
    func testGradientCheckOfTheUnrolledLSTMLanguageModel() {
        var generator = SeededGenerator(seed: 3)
        let cells = [LSTMCell<Double>(inputSize: 3, hiddenSize: 4, name: "lstm1", using: &generator),
                     LSTMCell<Double>(inputSize: 4, hiddenSize: 4, name: "lstm2", using: &generator)]
        let model = RecurrentLanguageModel(vocabularySize: 6, embeddingSize: 3, layers: cells, name: "lm", using: &generator)
        let state = cells.map { _ in [Tensor<Double>.uniform([2, 4], bound: 0.5, using: &generator),
                                      Tensor<Double>.uniform([2, 4], bound: 0.5, using: &generator)] }
        let inputs = [[1, 2], [3, 3], [0, 5], [4, 1]], targets = [[3, 3], [0, 5], [4, 1], [2, 2]]
        for unrolling in [RecurrentLanguageModel<LSTMCell<Double>>.Unrolling.batched, .stepByStep] {
            // Through two gated layers and four steps the loss carries more roundoff, so a
            // step of 1e-5 is dominated by it (the error grows as the step shrinks:
            // 1e-4 → 1.3e-6, 1e-6 → 1e-4); 1e-4 balances it against truncation. A wrong
            // backward pass gives errors of order 1.
            let result = gradientCheck(model.parameters, step: 1e-4) { tape in
                model.loss(inputs, targets: targets, from: state, on: tape, unrolling: unrolling).loss
            }
            XCTAssertEqual(result.errors.count, 3 + 3 * 2)
            XCTAssertLessThan(result.maxRelativeError, 1e-5, "\(unrolling): \(result.errors)")
        }
    }

    /// The chapter's demonstration of indefinite memory holds (the cell is compared bit for
    /// bit after 1,000 steps).
    func testTheChapterKeepsTheCell() throws {
        XCTAssertTrue(try Chapter07.parse([]).indefiniteMemory())
    }

    /// The lag task carries its answer only in the first token.
    func testLagTaskBatches() {
        var generator = SeededGenerator(seed: 1)
        let task = LagTask(lag: 7)
        let (inputs, answers) = task.batch(50, using: &generator)
        XCTAssertEqual(inputs.count, 8)
        XCTAssertEqual(inputs[0], answers)
        XCTAssertTrue(answers.allSatisfy { (0..<4).contains($0) })
        XCTAssertTrue(inputs.dropFirst().allSatisfy { $0.allSatisfy { (4..<12).contains($0) } })
        XCTAssertGreaterThan(Set(answers).count, 1)
    }

    /// Same budget, same seed: at a lag of 20 steps the LSTM learns the task and the plain
    /// RNN stays near chance (25%).
    func testLSTMRemembersWhereThePlainRNNForgets() throws {
        let task = LagTask(lag: 20)
        var g1 = SeededGenerator(seed: 1), g2 = SeededGenerator(seed: 1)
        let rnn = SequenceClassifier(vocabularySize: task.vocabularySize, embeddingSize: 8,
                                     cell: RNNCell<Float>(inputSize: 8, hiddenSize: 32, name: "rnn", using: &g1),
                                     classes: 4, name: "rnn", using: &g1)
        let lstm = SequenceClassifier(vocabularySize: task.vocabularySize, embeddingSize: 8,
                                      cell: LSTMCell<Float>(inputSize: 8, hiddenSize: 32, name: "lstm", forgetBias: 3, using: &g2),
                                      classes: 4, name: "lstm", using: &g2)
        var d1 = SeededGenerator(seed: 21), d2 = d1
        let a = try rnn.trainAndTest(on: task, updates: 400, using: &d1)
        let b = try lstm.trainAndTest(on: task, updates: 400, using: &d2)
        XCTAssertLessThan(a, 0.4, "plain RNN accuracy \(a)")
        XCTAssertGreaterThan(b, 0.9, "LSTM accuracy \(b)")
    }
}
