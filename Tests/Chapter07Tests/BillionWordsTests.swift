import Foundation
import NeuralKit
import RecurrentLM
import TextData
import XCTest
@testable import Chapter07

/// The billion-word section's cost table, computed again word by word.
final class BillionWordsTests: XCTestCase {
    /// The expected multiply-adds per word of the adaptive softmax: for every word w of
    /// the vocabulary, its Zipfian probability times what scoring it costs in a real
    /// AdaptiveSoftmax (the head's weights, plus its cluster's projection and output
    /// weights, read from the parameters' shapes), summed.
    func testAdaptiveCostIsTheZipfianAverageOverWords() {
        let (v, h) = (33_000, 200)
        var g = SeededGenerator(seed: 1)
        let layer = AdaptiveSoftmax<Float>(inputSize: h, vocabularySize: v, cutoffs: adaptiveSoftmaxCutoffs(vocabularySize: v),
                                           name: "out", using: &g)
        XCTAssertEqual(layer.tails.count, 2)
        let headCost = Double(layer.head.weight.value.count)
        let clusterCost = layer.tails.map { Double($0.projection.weight.value.count + $0.output.weight.value.count) }
        var normalizer = 0.0, expected = 0.0
        for w in 0..<v {
            let p = 1 / Double(w + 1)
            normalizer += p
            let k = layer.cluster(of: w)
            expected += p * (headCost + (k == 0 ? 0 : clusterCost[k - 1]))
        }
        expected /= normalizer
        let cost = OutputLayerCost(vocabularySize: v, hidden: h, body: 640_000)
        XCTAssertEqual(cost.adaptiveMultiplyAdds, expected, accuracy: 1e-9 * expected)
        XCTAssertEqual(cost.fullMultiplyAdds, Double(v * h))
        XCTAssertEqual(cost.fullShare, Double(v * h) / (Double(v * h) + 640_000), accuracy: 1e-15)
        XCTAssertLessThan(cost.adaptiveMultiplyAdds, cost.fullMultiplyAdds / 10)
    }
}

/// The language model with an adaptive softmax as its output layer.
final class AdaptiveLanguageModelTests: XCTestCase {
    func model() -> RecurrentLanguageModel<LSTMCell<Double>> {
        var g = SeededGenerator(seed: 4)
        let cells = [LSTMCell<Double>(inputSize: 3, hiddenSize: 4, name: "lstm1", using: &g)]
        let model = RecurrentLanguageModel(vocabularySize: 9, embeddingSize: 3, layers: cells, name: "lm",
                                           adaptiveSoftmaxCutoffs: [3, 6], using: &g)
        for p in model.parameters where p.name.hasSuffix(".b") { p.value = .uniform(p.shape, bound: 0.5, using: &g) }
        return model
    }

    /// Every parameter's gradient through the LSTM and the adaptive output layer, batched
    /// (with a padding target) and step by step, by finite differences; and the two
    /// unrollings give the same loss.
    func testGradientsThroughTheModelMatchFiniteDifferences() {
        let model = model()
        let state = [[Tensor<Double>.zeros([2, 4]), .zeros([2, 4])]]
        let inputs = [[1, 2], [3, 8], [0, 5]]
        for (targets, unrolling) in [([[3, 7], [0, 5], [8, -1]], RecurrentLanguageModel<LSTMCell<Double>>.Unrolling.batched),
                                     ([[3, 7], [0, 5], [8, 2]], .batched), ([[3, 7], [0, 5], [8, 2]], .stepByStep)] {
            // Through a gated layer and two softmaxes the loss carries roundoff that swamps
            // a step of 1e-5 (as in Chapter07Tests' LSTM check); 1e-4 balances it against
            // truncation. A wrong backward pass gives errors of order 1.
            let result = gradientCheck(model.parameters, step: 1e-4) { tape in
                model.loss(inputs, targets: targets, from: state, on: tape, unrolling: unrolling).loss
            }
            XCTAssertLessThan(result.maxRelativeError, 1e-5, "\(unrolling) \(targets)\n\(result)")
        }
        let full = [[3, 7], [0, 5], [8, 2]]
        let batched = model.loss(inputs, targets: full, from: state, on: Tape()).loss.value.scalar
        let stepped = model.loss(inputs, targets: full, from: state, on: Tape(), unrolling: .stepByStep).loss.value.scalar
        XCTAssertEqual(batched, stepped, accuracy: 1e-12)
    }

    func testDistributionSumsToOne() {
        var g = SeededGenerator(seed: 5)
        let p = model().distribution(after: .uniform([3, 4], bound: 1, using: &g))
        for r in 0..<3 { XCTAssertEqual((0..<9).reduce(0.0) { $0 + p.scalars[r * 9 + $1] }, 1, accuracy: 1e-12) }
    }
}

extension AdaptiveLanguageModelTests {
    /// A text where each word determines the next (0, 1, …, 78, 0, 1, …): after a few
    /// epochs both models predict it far better than any unigram model could (log 79 ≈
    /// 4.37 nats), the adaptive one as well as the full one.
    func testBothOutputLayersLearnADeterministicText() throws {
        let ids = (0..<8_000).map { $0 % 79 }
        let stream = TokenStream(ids: ids, padding: 0)
        var settings = RecurrentTrainingSettings()
        settings.learningRate = 20
        var losses: [String: Double] = [:]
        for (name, cutoffs) in [("full", nil), ("adaptive", [19] as [Int]?)] {
            var g = SeededGenerator(seed: 1)
            let cells = [LSTMCell<Float>(inputSize: 32, hiddenSize: 32, name: "lstm1", using: &g)]
            let model = RecurrentLanguageModel(vocabularySize: 79, embeddingSize: 32, layers: cells, name: "lm",
                                               adaptiveSoftmaxCutoffs: cutoffs, using: &g)
            _ = try model.train(on: stream, valid: stream, settings: settings, epochs: 8, quiet: true)
            let (total, count) = model.negativeLogLikelihood(of: stream)
            losses[name] = total / Double(count)
        }
        XCTAssertLessThan(losses["full"]!, 1, "\(losses)")
        XCTAssertLessThan(losses["adaptive"]!, 1, "\(losses)")
    }
}
