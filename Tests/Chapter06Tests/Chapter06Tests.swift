import Foundation
import NeuralKit
import RecurrentLM
import TextData
import XCTest
@testable import Chapter06

final class Chapter06Tests: XCTestCase {
    func chapter(_ arguments: [String] = []) throws -> Chapter06 {
        try Chapter06.parse(arguments)
    }

    /// ∂J(4)/∂h(1) from explicitly built Jacobians equals backpropagation's.
    func testJacobianProductEqualsBackpropagation() throws {
        for seed: UInt64 in [1, 2, 3] {
            let rnn = try chapter().smallRNN(hiddenSize: 3, steps: 4, inputScale: 1, weightScale: 1.5, seed: seed)
            let backprop = rnn.gradientsByBackpropagation()[0]
            let (product, jacobians) = rnn.gradientByJacobianProduct()
            XCTAssertEqual(jacobians.count, 3)
            XCTAssertGreaterThan(norm(backprop), 1e-6)
            for (a, b) in zip(product, backprop) { XCTAssertEqual(a, b, accuracy: 1e-12 * max(1, abs(b))) }
        }
    }

    /// The largest singular value by power iteration, against closed forms.
    func testLargestSingularValue() {
        var generator = SeededGenerator(seed: 5)
        let q = Matrix.orthogonal(16, using: &generator)
        // QᵀQ = I
        for i in 0..<16 {
            for j in 0..<16 {
                let dot = (0..<16).reduce(0.0) { $0 + q[$1 * 16 + i] * q[$1 * 16 + j] }
                XCTAssertEqual(dot, i == j ? 1 : 0, accuracy: 1e-12)
            }
        }
        XCTAssertEqual(Matrix.largestSingularValue(q.map { $0 * 1.7 }, columns: 16), 1.7, accuracy: 1e-9)
        // diag(3, −5, 2) (with a rotation in front): σ_max = 5
        let d = [0.0, -5, 0, 3, 0, 0, 0, 0, 2]  // rows permuted: still singular values 5, 3, 2
        XCTAssertEqual(Matrix.largestSingularValue(d, columns: 3), 5, accuracy: 1e-9)
    }

    /// The measured per-step rate of ‖∂J(T)/∂h(k)‖ stays under σ_max(W_h) · max tanh′, for
    /// weights that make it vanish and weights that make it grow.
    func testMeasuredRateStaysUnderTheBound() throws {
        let c = try chapter()
        let (rates, _) = c.normsByDistance(seed: 1)
        XCTAssertEqual(Set(rates.measured.keys), ["sigma_0.8", "sigma_1.2"])
        for (name, rate) in rates.measured {
            XCTAssertLessThanOrEqual(rate, rates.bounds[name]! + 1e-9, name)
        }
        XCTAssertLessThan(rates.measured["sigma_0.8"]!, 1)     // vanishes
        XCTAssertGreaterThan(rates.measured["sigma_1.2"]!, 1)  // grows
        // and every single step obeys the bound, not only the fitted rate
        let rnn = c.smallRNN(hiddenSize: 32, steps: 30, inputScale: 0.05, weightScale: 1.2, seed: 1, orthogonal: true)
        let norms = rnn.gradientsByBackpropagation().map(norm)
        let bound = Matrix.largestSingularValue(rnn.cell.recurrentWeight.value.scalars, columns: 32)
        for k in 0..<(norms.count - 1) { XCTAssertLessThanOrEqual(norms[k], norms[k + 1] * bound * (1 + 1e-9)) }
    }

    /// Clipping leaves a gradient whose norm is under the threshold untouched, and caps a
    /// larger one at the threshold with its direction kept.
    func testClippingCapsLargeAndKeepsSmallGradients() {
        let p = Parameter<Double>("p", Tensor([3, 4]))  // ‖g‖ = 5 once set
        p.gradient = Tensor([0.3, 0.4])
        XCTAssertEqual(clipGradientNorm([p], threshold: 1), 0.5, accuracy: 1e-15)
        XCTAssertEqual(p.gradient.scalars, [0.3, 0.4])
        p.gradient = Tensor([3, 4])
        XCTAssertEqual(clipGradientNorm([p], threshold: 1), 5, accuracy: 1e-15)
        XCTAssertEqual(p.gradient.scalars[0], 0.6, accuracy: 1e-15)
        XCTAssertEqual(p.gradient.scalars[1], 0.8, accuracy: 1e-15)
    }

    /// Through 30 layers, identity connections deliver a larger gradient to the first
    /// layer than the plain stack does, from the same gradient at the top.
    func testResidualStackPassesALargerGradient() {
        let plain = stackGradientNorms(depth: 30, width: 32, residual: false, weightScale: 0.7, seed: 1)
        let residual = stackGradientNorms(depth: 30, width: 32, residual: true, weightScale: 0.7, seed: 1)
        XCTAssertEqual(plain[30], residual[30], accuracy: 1e-12)
        XCTAssertLessThan(plain[0], 1e-3 * plain[30])   // vanished
        XCTAssertGreaterThan(residual[0], 100 * plain[0])
        XCTAssertGreaterThan(residual[0], residual[30] * 0.5)  // alive
    }

    /// The chapter's experiment: at learning rate 10, plain SGD diverges (worse than
    /// uniform guessing) and the clipped run trains.
    func testClippingTamesTheExplosion() throws {
        let result = try chapter().explodingInPractice(seed: 1)
        XCTAssertGreaterThan(result.withoutClippingPerplexity, 79)
        XCTAssertLessThan(result.withClippingValidPerplexity, 10)
        // "after" is ‖ĝ‖ measured again from the clipped gradients (not min(‖ĝ‖, threshold)
        // written down): Algorithm 1 leaves it at the threshold when ‖ĝ‖ ≥ threshold (to
        // Float rounding) and untouched below it.
        XCTAssertEqual(result.firstNorms.count, 8)
        XCTAssertEqual(result.clippedNorms.count, 8)
        XCTAssertTrue(result.firstNorms.contains { $0 > 0.5 }, "no step was clipped: \(result.firstNorms)")
        for (before, after) in zip(result.firstNorms, result.clippedNorms) {
            XCTAssertEqual(after, min(before, 0.25), accuracy: 1e-5 * max(before, 0.25), "before \(before)")
        }
    }

    /// One window of the chapter's model (‖ĝ‖ ≈ 0.23 at the start), backward, clipped at
    /// 0.1: the norm of the gradients left in the parameters, summed here element by
    /// element over every parameter (the embedding's untouched rows included), is 0.1,
    /// and each gradient is the unclipped one times 0.1/‖ĝ‖ (the direction kept).
    func testClippedGradientHasTheThresholdNorm() throws {
        let c = try chapter()
        let splits = try LanguageModellingSplits(dataDirectory: nil)
        let model = c.explosionModel(vocabularySize: splits.train.vocabulary.count, seed: 1)
        let window = TokenStream(splits.train).windows(batchSize: 20, length: 20, complete: false)[0]
        let tape = Tape<Float>()
        let (loss, _) = model.loss(window.inputs, targets: window.targets, from: model.zeroState(batchSize: 20), on: tape)
        tape.backward(from: loss)
        let parameters = model.parameters
        let unclipped = parameters.map { $0.gradient.scalars.map(Double.init) }
        let byHand = unclipped.joined().reduce(0.0) { $0 + $1 * $1 }.squareRoot()
        let threshold = 0.1
        XCTAssertGreaterThan(byHand, 2 * threshold, "the window's gradient must be large enough to be clipped")
        let reported = clipGradientNorm(parameters, threshold: threshold)
        XCTAssertEqual(reported, byHand, accuracy: 1e-5 * byHand)
        let after = parameters.flatMap { $0.gradient.scalars.map(Double.init) }
        XCTAssertEqual(after.reduce(0.0) { $0 + $1 * $1 }.squareRoot(), threshold, accuracy: 1e-6)
        for (a, u) in zip(after, unclipped.joined()) { XCTAssertEqual(a, u * threshold / byHand, accuracy: 1e-6 * max(abs(u), 1e-3)) }
    }
}
