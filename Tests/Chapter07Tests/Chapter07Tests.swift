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
        var model = RecurrentLanguageModel(vocabularySize: 6, embeddingSize: 3, layers: cells, name: "lm", using: &generator)
        let state = cells.map { _ in [Tensor<Double>.uniform([2, 4], bound: 0.5, using: &generator),
                                      Tensor<Double>.uniform([2, 4], bound: 0.5, using: &generator)] }
        let inputs = [[1, 2], [3, 3], [0, 5], [4, 1]], targets = [[3, 3], [0, 5], [4, 1], [2, 2]]
        let runs: [(RecurrentLanguageModel<LSTMCell<Double>>.Unrolling, WindowRun)] = [(.batched, .wholeWindow), (.batched, .stepByStep),
                                                                                        (.stepByStep, .wholeWindow)]
        for (unrolling, recurrence) in runs {
            model.recurrence = recurrence
            // Through two gated layers and four steps the loss carries more roundoff, so a
            // step of 1e-5 is dominated by it (the error grows as the step shrinks:
            // 1e-4 → 1.3e-6, 1e-6 → 1e-4); 1e-4 balances it against truncation. A wrong
            // backward pass gives errors of order 1.
            let result = gradientCheck(model.parameters, step: 1e-4) { tape in
                model.loss(inputs, targets: targets, from: state, on: tape, unrolling: unrolling).loss
            }
            XCTAssertEqual(result.errors.count, 3 + 3 * 2)
            XCTAssertLessThan(result.maxRelativeError, 1e-5, "\(unrolling), \(recurrence): \(result.errors)")
        }
    }

    /// The model's two ways of running a layer's window, ``WindowRun/wholeWindow`` (the
    /// LSTM's and the GRU's whole-window kernels, what the chapters train with) and
    /// ``WindowRun/stepByStep`` (the readable `step` T times), give the same loss, final
    /// states and gradients, bit for bit, for a two-layer model in Float with dropout.
    func testTheModelsWholeWindowKernelEqualsItsReadableSteps() {
        func run<Cell: RecurrentCell>(_ makeCell: (Int, Int, String, inout SeededGenerator) -> Cell) -> [[[UInt32]]] where Cell.Scalar == Float {
            var generator = SeededGenerator(seed: 5)
            let cells = [makeCell(4, 6, "layer1", &generator), makeCell(6, 6, "layer2", &generator)]
            var model = RecurrentLanguageModel(vocabularySize: 9, embeddingSize: 4, layers: cells, name: "lm", using: &generator)
            let start = cells.map { cell in cell.zeroState(batchSize: 3).map { Tensor<Float>.uniform($0.shape, bound: 0.5, using: &generator) } }
            let inputs = [[1, 2, 0], [3, 8, 4], [0, 6, 6], [5, 1, 7], [2, 2, 2]]
            let targets = [[3, 8, 4], [0, 6, 6], [5, 1, 7], [2, 2, 2], [7, 0, 1]]
            var results: [[[UInt32]]] = []
            for recurrence in [WindowRun.wholeWindow, .stepByStep] {
                model.recurrence = recurrence
                var masks = SeededGenerator(seed: 9)
                let tape = Tape<Float>()
                let (loss, state) = model.loss(inputs, targets: targets, from: start, on: tape, dropout: 0.3, using: &masks)
                tape.backward(from: loss)
                results.append([[loss.value.scalar.bitPattern]] + state.flatMap { $0.map { $0.value.scalars.map(\.bitPattern) } }
                               + model.parameters.map { $0.gradient.scalars.map(\.bitPattern) })
                XCTAssertTrue(model.parameters.allSatisfy { $0.gradient.scalars.contains { $0 != 0 } }, "\(Cell.self): a zero gradient")
                model.parameters.zeroGradients()
            }
            XCTAssertEqual(results[0], results[1], "\(Cell.self): the whole-window kernel against the readable steps")
            return results
        }
        let lstm = run { LSTMCell<Float>(inputSize: $0, hiddenSize: $1, name: $2, using: &$3) }
        let gru = run { GRUCell<Float>(inputSize: $0, hiddenSize: $1, name: $2, using: &$3) }
        XCTAssertNotEqual(lstm[0][0], gru[0][0])  // two different models, not one run twice
    }

    /// The slides' claim, computed here: with the forget gate at exactly 1 and the input
    /// gate at exactly 0, c(t) = 1 · c(t−1) + 0 · c̃(t), so the cell keeps c(0) bit for bit
    /// through 1,000 steps of random input (and the random recurrent weights of the o and
    /// c̃ blocks), on the readable step, the fused step and the whole-window kernel.
    /// The f and i rows of W and U are zeroed and their biases set to ±1000, where σ is
    /// exactly 1 and 0 in Double. Controls: with f = σ(6) < 1, or i = σ(−6) > 0, the same
    /// run does not keep the cell.
    func testTheChapterKeepsTheCell() {
        let (d, n, batch, steps) = (3, 4, 2, 1000)
        for (forgetBias, inputBias, keeps) in [(1000.0, -1000.0, true), (6.0, -1000.0, false), (1000.0, -6.0, false)] {
            for run in [WindowRun.stepByStep, .wholeWindow] {
                var g = SeededGenerator(seed: 11)
                let cell = LSTMCell<Double>(inputSize: d, hiddenSize: n, name: "lstm", using: &g)
                var w = cell.recurrentWeight.value, u = cell.inputWeight.value, b = cell.bias.value
                for row in 0..<(2 * n) {  // rows 0..<n: f; n..<2n: i (the stored order f, i, o, c̃)
                    for k in 0..<n { w.scalars[row * n + k] = 0 }
                    for k in 0..<d { u.scalars[row * d + k] = 0 }
                    b.scalars[row] = row < n ? forgetBias : inputBias
                }
                (cell.recurrentWeight.value, cell.inputWeight.value, cell.bias.value) = (w, u, b)
                let c0 = Tensor<Double>.uniform([batch, n], bound: 3, using: &g)
                let h0 = Tensor<Double>.uniform([batch, n], bound: 1, using: &g)
                let xs = Tensor<Double>.uniform([steps * batch, d], bound: 5, using: &g)
                // step by step
                var (h, c) = (h0, c0)
                for t in 0..<steps {
                    let tape = Tape<Double>()
                    let x = Tensor<Double>(shape: [batch, d], scalars: Array(xs.scalars[(t * batch * d)..<((t + 1) * batch * d)]))
                    let state = LSTMState(hidden: tape.input(h, name: "h"), cell: tape.input(c, name: "c"))
                    let next = run == .stepByStep ? cell(tape.input(x, name: "x"), state: state)
                        : LSTMWindowKernel(cell).fusedStep(projected: cell.projectInputs(tape.input(x, name: "x")), state: state)
                    (h, c) = (next.hidden.value, next.cell.value)
                }
                XCTAssertTrue(h.scalars.allSatisfy(\.isFinite))
                // the whole window at once (the LSTMWindowKernel op for .wholeWindow)
                let tape = Tape<Double>()
                let final = cell.window(projected: cell.projectInputs(tape.input(xs, name: "x")), steps: steps,
                                        state: LSTMState(hidden: tape.input(h0, name: "h"), cell: tape.input(c0, name: "c")), run: run).state
                let label = "\(run), f bias \(forgetBias), i bias \(inputBias)"
                if keeps {
                    XCTAssertEqual(c.scalars, c0.scalars, "step by step, " + label)
                    XCTAssertEqual(final.cell.value.scalars, c0.scalars, "whole window, " + label)
                } else {
                    XCTAssertNotEqual(c.scalars, c0.scalars, "step by step, " + label)
                    XCTAssertNotEqual(final.cell.value.scalars, c0.scalars, "whole window, " + label)
                }
            }
        }
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
