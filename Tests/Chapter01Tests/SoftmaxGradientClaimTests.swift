import Foundation
import NeuralKit
import TextData
import XCTest
@testable import Chapter01

/// Claim: the multi-class (softmax) window classifier's gradients are right, as the binary
/// one's are (`Chapter01Tests.testGradientOfJMatchesFiniteDifferences`).
final class SoftmaxWindowGradientClaimTests: XCTestCase {
    /// The 9-class model (the CoNLL tags: O and B-/I- of four types) in Double with small
    /// sizes, on four windows of the sample with four different gold tags: the gradient
    /// of the softmax cross-entropy J = −(1/B) Σ log ŷ[gold] that backpropagation gives
    /// for every element of every parameter (the four embedding tables, W, b, U, c)
    /// against central finite differences of J (NeuralKit's `gradientCheck`, which only
    /// runs the forward pass with each element moved by ±h).
    func testNineClassGradientMatchesFiniteDifferences() {
        let sentences = Chapter01Tests.sample.map { $0.map(\.word) }
        let features = WindowFeatures(training: sentences)
        let batch = features.windows([sentences[0], sentences[1]]).select([0, 3, 5, 7])
        XCTAssertEqual(batch.count, 4)
        var generator = SeededGenerator(seed: 9)
        let sizes = WindowClassifier<Double>.Sizes(
            words: features.words.count, prefixes: features.prefixes.count, suffixes: features.suffixes.count,
            wordEmbedding: 4, capitalizationEmbedding: 2, prefixEmbedding: 2, suffixEmbedding: 3, hidden: 6, classes: 9)
        let model = WindowClassifier<Double>(sizes, using: &generator)
        // a nonzero output bias, so its gradient is checked away from the symmetric start
        model.output.bias!.value = .uniform([9], bound: 0.5, using: &generator)
        let gold = [0, 3, 8, 5]
        let result = gradientCheck(model.parameters) { tape in
            softmaxCrossEntropy(logits: model.scores(batch, on: tape), labels: gold)
        }
        XCTAssertEqual(result.errors.map(\.name), ["words.E", "caps.E", "prefixes.E", "suffixes.E", "ner.W", "ner.b", "ner.U", "ner.c"])
        XCTAssertLessThan(result.maxRelativeError, 1e-6, "\(result.errors)")
        // ∂J/∂c by hand: (ŷ − onehot(gold)) averaged over the batch, from the probabilities.
        let y = model.probabilities(batch)
        model.parameters.zeroGradients()
        let tape = Tape<Double>()
        tape.backward(from: softmaxCrossEntropy(logits: model.scores(batch, on: tape), labels: gold))
        for k in 0..<9 {
            let byHand = (0..<4).map { r in y[r, k] - (gold[r] == k ? 1 : 0) }.reduce(0, +) / 4
            XCTAssertEqual(model.output.bias!.gradient.scalars[k], byHand, accuracy: 1e-12)
        }
    }
}
