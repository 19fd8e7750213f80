import Foundation
import NeuralKit
import XCTest
@testable import Chapter09

/// Claim: the encoder–decoder is trained by backpropagation through both LSTMs; its
/// gradients are right, not only its accuracy high.
final class EncoderDecoderGradientClaimTests: XCTestCase {
    /// A small Double model (7 source symbols, 6 target symbols, d = 3, H = 4), a batch of
    /// two sources of 4 steps and targets of 3 (teacher forcing from a start symbol): every
    /// element of every parameter (both embedding tables, both LSTMs' W, U, b, and the
    /// output layer) has the gradient backpropagation gives against central finite
    /// differences of the loss (`gradientCheck` runs only the forward pass, each element
    /// moved by ±h). The encoder's parameters reach the loss only through the state it
    /// hands the decoder, so their check covers that hand-over too.
    func testEncoderDecoderGradientMatchesFiniteDifferences() {
        for run in [WindowRun.stepByStep, .wholeWindow] { checkGradients(run) }
    }

    /// Training runs both LSTMs as whole-window kernels, the figure as readable steps: the
    /// same loss and the same gradient of every parameter, bit for bit.
    func testWholeWindowTrainingEqualsTheReadableSteps() {
        var generator = SeededGenerator(seed: 5)
        var model = EncoderDecoder<Float>(sourceVocabulary: 9, targetVocabulary: 7, embeddingSize: 4, hiddenSize: 6, using: &generator)
        let sources = [[1, 2, 3, 8, 4], [4, 5, 6, 0, 7], [2, 2, 1, 3, 3]], targets = [[2, 3, 1, 6], [4, 0, 1, 6], [1, 1, 2, 6]]
        var losses: [Float] = [], gradients: [[[Float]]] = []
        for run in [WindowRun.stepByStep, .wholeWindow] {
            model.recurrence = run
            model.parameters.zeroGradients()
            let tape = Tape<Float>()
            let loss = model.loss(sources: sources, targets: targets, startID: 5, on: tape)
            tape.backward(from: loss)
            losses.append(loss.value.scalar)
            gradients.append(model.parameters.map(\.gradient.scalars))
        }
        XCTAssertEqual(losses[0], losses[1])
        for (p, (a, b)) in zip(model.parameters, zip(gradients[0], gradients[1])) { XCTAssertEqual(a, b, p.name) }
        XCTAssertTrue(gradients[0].allSatisfy { $0.contains { $0 != 0 } })
    }

    func checkGradients(_ run: WindowRun) {
        var generator = SeededGenerator(seed: 12)
        var model = EncoderDecoder<Double>(sourceVocabulary: 7, targetVocabulary: 6, embeddingSize: 3, hiddenSize: 4, using: &generator)
        model.recurrence = run
        // nonzero biases everywhere, so every gradient is checked away from the start values
        for p in [model.encoder.bias, model.decoder.bias, model.output.bias!] {
            p.value = .uniform(p.value.shape, bound: 0.5, using: &generator)
        }
        let sources = [[1, 2, 3, 6], [4, 5, 6, 0]], targets = [[2, 3, 1], [4, 0, 1]]
        // Through two LSTMs and seven steps the loss carries more roundoff than one layer
        // (as Chapter 7's check notes), so the step is 1e-4; a wrong backward pass gives
        // errors of order 1.
        let result = gradientCheck(model.parameters, step: 1e-4) { tape in
            model.loss(sources: sources, targets: targets, startID: 5, on: tape)
        }
        XCTAssertEqual(result.errors.map(\.name), ["E_src", "enc.W", "enc.U", "enc.b", "E_tgt", "dec.W", "dec.U", "dec.b", "W_o", "b_o"])
        XCTAssertLessThan(result.maxRelativeError, 1e-5, "\(run): \(result.errors)")
        // the encoder does matter: its gradients are not all zero
        model.parameters.zeroGradients()
        let tape = Tape<Double>()
        tape.backward(from: model.loss(sources: sources, targets: targets, startID: 5, on: tape))
        XCTAssertGreaterThan(model.encoder.recurrentWeight.gradient.norm, 1e-6)
    }
}
