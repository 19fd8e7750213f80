import Foundation
import NeuralKit
import TextData
import XCTest
@testable import Chapter04

final class Chapter04Tests: XCTestCase {
    static let sample = try! IndexedCorpus(SampleData.url("lm-sample.train.txt"))

    func testGradientCheckOfTheWholeModel() {
        var generator = SeededGenerator(seed: 3)
        let model = WindowLanguageModel<Double>(vocabularySize: 7, embeddingSize: 3, hiddenSize: 4, using: &generator)
        model.hidden.bias!.value = .uniform([4], bound: 0.5, using: &generator)
        model.output.bias!.value = .uniform([7], bound: 0.5, using: &generator)
        let contexts = [1, 2, 3, 4, 0, 0, 1, 2, 6, 5, 5, 1]  // three windows; word 5 twice in one
        let result = gradientCheck(model.parameters) { tape in
            softmaxCrossEntropy(logits: model.logits(contexts, on: tape), labels: [3, 6, 0])
        }
        XCTAssertEqual(result.errors.map(\.name), ["lm.E", "lm.W", "lm.b1", "lm.U", "lm.b2"])
        XCTAssertLessThan(result.maxRelativeError, 1e-6)
        // The training loss (output layer, softmax and loss as one fused op): the same J
        // and correct gradients.
        var unused = SeededGenerator(seed: 0)
        let fused = model.loss(contexts, targets: [3, 6, 0], on: Tape(), dropout: 0, using: &unused).value.scalar
        let plain = softmaxCrossEntropy(logits: model.logits(contexts, on: Tape()), labels: [3, 6, 0]).value.scalar
        XCTAssertEqual(fused, plain, accuracy: 1e-12)
        let fusedResult = gradientCheck(model.parameters) { tape in
            var unused = SeededGenerator(seed: 0)
            return model.loss(contexts, targets: [3, 6, 0], on: tape, dropout: 0, using: &unused)
        }
        XCTAssertEqual(fusedResult.errors.count, 5)
        XCTAssertLessThan(fusedResult.maxRelativeError, 1e-6)
    }

    /// The forward pass computed by hand from the parameters' numbers, with loops:
    /// e = [E[w₁]; …; E[w₄]], h = tanh(W e + b₁), scores U h + b₂, for two windows.
    func testForwardPassByHand() {
        var generator = SeededGenerator(seed: 7)
        let (v, d, hSize) = (6, 2, 3)
        let model = WindowLanguageModel<Double>(vocabularySize: v, embeddingSize: d, hiddenSize: hSize, using: &generator)
        for p in model.parameters { p.value = .uniform(p.shape, bound: 0.9, using: &generator) }
        let contexts = [5, 0, 2, 2, 1, 4, 3, 0]
        let E = model.embedding.table.value, W = model.hidden.weight.value, b1 = model.hidden.bias!.value
        let U = model.output.weight.value, b2 = model.output.bias!.value
        let scores = model.logits(contexts, on: Tape()).value
        XCTAssertEqual(scores.shape, [2, v])
        for window in 0..<2 {
            var e: [Double] = []
            for position in 0..<4 { e += (0..<d).map { E[contexts[window * 4 + position], $0] } }
            let h = (0..<hSize).map { i in Foundation.tanh((0..<(4 * d)).reduce(b1.scalars[i]) { $0 + W[i, $1] * e[$1] }) }
            for word in 0..<v {
                let expected = (0..<hSize).reduce(b2.scalars[word]) { $0 + U[word, $1] * h[$1] }
                XCTAssertEqual(scores[window, word], expected, accuracy: 1e-12)
            }
        }
    }

    func testDistributionsArePositiveAndSumToOne() {
        var generator = SeededGenerator(seed: 1)
        let v = Self.sample.vocabulary.count
        let model = WindowLanguageModel<Float>(vocabularySize: v, embeddingSize: 8, hiddenSize: 16, using: &generator)
        let windows = Windows(Self.sample)
        let y = model.distribution(Array(windows.contexts[0..<(4 * 5)]))
        XCTAssertEqual(y.shape, [5, v])
        for r in 0..<5 {
            var total = 0.0
            for c in 0..<v {
                XCTAssertGreaterThan(y[r, c], 0)
                total += Double(y[r, c])
            }
            XCTAssertEqual(total, 1, accuracy: 1e-5)
        }
    }

    func testParameterCountByFormulaAndIndependentOfTheCorpus() {
        for (v, d, h) in [(10, 3, 5), (101, 16, 32)] {
            var generator = SeededGenerator(seed: 2)
            let model = WindowLanguageModel<Float>(vocabularySize: v, embeddingSize: d, hiddenSize: h, using: &generator)
            // by hand: the tensors by name, with the shapes the slides give them
            // (e = [e1; e2; e3; e4] ∈ R^4d, h = f(W e + b1), ŷ = softmax(U h + b2))
            XCTAssertEqual(Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0.shape) }),
                           ["lm.E": [v, d], "lm.W": [h, 4 * d], "lm.b1": [h], "lm.U": [v, h], "lm.b2": [v]])
            let counted = model.parameters.reduce(0) { $0 + $1.value.scalars.count }
            // the slides' count grouped by layer: embeddings, hidden layer (W, b1), output layer (U, b2)
            XCTAssertEqual(counted, v * d + (4 * d + 1) * h + (h + 1) * v)
            XCTAssertEqual(WindowLanguageModel<Float>.parameterCount(vocabularySize: v, embeddingSize: d, hiddenSize: h), counted)
        }
    }

    func testWindowsCoverEveryPredictedTokenWithStartPadding() {
        let windows = Windows(Self.sample)
        XCTAssertEqual(windows.count, Self.sample.predictedTokenCount)
        let s = Self.sample.startID
        XCTAssertEqual(Array(windows.contexts[0..<4]), [s, s, s, s])
        XCTAssertEqual(windows.targets[0], Self.sample.sentences[0][0])
        XCTAssertEqual(Array(windows.contexts[4..<8]), [s, s, s, Self.sample.sentences[0][0]])
    }

    /// exp of the mean cross-entropy equals the perplexity summed token by token.
    func testPerplexityIsExpOfTheLoss() {
        var generator = SeededGenerator(seed: 4)
        let model = WindowLanguageModel<Float>(
            vocabularySize: Self.sample.vocabulary.count, embeddingSize: 8, hiddenSize: 16, using: &generator)
        let windows = Windows(Self.sample)
        var logSum = 0.0
        for i in 0..<windows.count {
            let y = model.distribution(Array(windows.contexts[(4 * i)..<(4 * i + 4)]))
            logSum += log(Double(y.scalars[windows.targets[i]]))
        }
        let tokenByToken = exp(-logSum / Double(windows.count))
        XCTAssertEqual(exp(meanCrossEntropy(model, windows)), tokenByToken, accuracy: tokenByToken * 1e-4)
    }

    func testTrainingLowersValidationPerplexity() throws {
        let valid = try IndexedCorpus(SampleData.url("lm-sample.valid.txt"), vocabulary: Self.sample.vocabulary)
        var generator = SeededGenerator(seed: 5)
        let model = WindowLanguageModel<Float>(
            vocabularySize: Self.sample.vocabulary.count, embeddingSize: 16, hiddenSize: 32, using: &generator)
        let before = exp(meanCrossEntropy(model, Windows(valid)))
        try train(model, on: Windows(Self.sample), settings: TrainingSettings(epochs: 2, batchSize: 64), using: &generator)
        let after = exp(meanCrossEntropy(model, Windows(valid)))
        XCTAssertGreaterThan(before, 50)  // untrained: near |V| = 80
        XCTAssertLessThan(after, before / 5)
    }
}
