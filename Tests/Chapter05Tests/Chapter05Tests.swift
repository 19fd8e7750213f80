import Foundation
import NeuralKit
import RecurrentLM
import TextData
import XCTest
@testable import Chapter05

final class Chapter05Tests: XCTestCase {
    static let splits = try! LanguageModellingSplits(dataDirectory: nil)

    func tinyModel(activation: RecurrentActivation = .tanh, layers: Int = 1, seed: UInt64 = 3) -> RecurrentLanguageModel<RNNCell<Double>> {
        var generator = SeededGenerator(seed: seed)
        let cells = (0..<layers).map { l in
            RNNCell<Double>(inputSize: l == 0 ? 3 : 4, hiddenSize: 4, activation: activation, name: "rnn\(l)", using: &generator)
        }
        let model = RecurrentLanguageModel(vocabularySize: 7, embeddingSize: 3, layers: cells, name: "lm", using: &generator)
        // nonzero biases, so their gradients are exercised away from the symmetric start
        for cell in cells { cell.bias.value = .uniform([4], bound: 0.5, using: &generator) }
        model.output.bias!.value = .uniform([7], bound: 0.5, using: &generator)
        return model
    }

    /// Backpropagation through time, 5 steps of a batch of 2, from a nonzero state, both
    /// nonlinearities and two stacked layers: every parameter's gradient against central
    /// finite differences.
    func testGradientCheckThroughTime() {
        let inputs = [[1, 2], [3, 3], [0, 6], [5, 1], [2, 2]], targets = [[3, 3], [0, 6], [5, 1], [2, 2], [4, 0]]
        for (activation, layers) in [(RecurrentActivation.tanh, 1), (.sigmoid, 1), (.tanh, 2)] {
            let model = tinyModel(activation: activation, layers: layers)
            var g = SeededGenerator(seed: 8)
            let state = model.layers.map { _ in [Tensor<Double>.uniform([2, 4], bound: 0.5, using: &g)] }
            for unrolling in [RecurrentLanguageModel<RNNCell<Double>>.Unrolling.batched, .stepByStep] {
                let result = gradientCheck(model.parameters) { tape in
                    model.loss(inputs, targets: targets, from: state, on: tape, unrolling: unrolling).loss
                }
                XCTAssertEqual(result.errors.count, 3 + 3 * layers)  // E, U, b2 and W_h, W_e, b1 per layer
                XCTAssertLessThan(result.maxRelativeError, 1e-6, "\(activation), \(layers) layers, \(unrolling)")
            }
        }
    }

    /// The fast unrolling (batched input products, fused output layer) computes the same
    /// loss, final state and gradients as the slides' step-by-step unrolling.
    func testBatchedUnrollingEqualsStepByStep() {
        let model = tinyModel()
        let inputs = [[1, 2, 0], [3, 3, 4], [0, 6, 6], [5, 1, 2]], targets = [[3, 3, 4], [0, 6, 6], [5, 1, 2], [2, 2, 1]]
        let start = model.zeroState(batchSize: 3)
        var results: [(Double, [Double], [[Double]])] = []
        for unrolling in [RecurrentLanguageModel<RNNCell<Double>>.Unrolling.batched, .stepByStep] {
            let tape = Tape<Double>()
            let (loss, state) = model.loss(inputs, targets: targets, from: start, on: tape, unrolling: unrolling)
            tape.backward(from: loss)
            results.append((loss.value.scalar, state[0][0].value.scalars, model.parameters.map(\.gradient.scalars)))
            model.parameters.zeroGradients()
        }
        XCTAssertEqual(results[0].0, results[1].0, accuracy: 1e-12)
        for (a, b) in zip(results[0].1, results[1].1) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        for (ga, gb) in zip(results[0].2, results[1].2) {
            for (a, b) in zip(ga, gb) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        }
    }

    /// Any input length, the same parameters: the tape grows with the length, the
    /// parameters on it do not.
    func testAnyLengthWithAFixedParameterCount() {
        var generator = SeededGenerator(seed: 1)
        let v = Self.splits.train.vocabulary.count
        let cell = RNNCell<Float>(inputSize: 5, hiddenSize: 6, name: "rnn", using: &generator)
        let model = RecurrentLanguageModel(vocabularySize: v, embeddingSize: 5, layers: [cell], name: "rnn", using: &generator)
        let ids = TokenStream(Self.splits.train).ids
        let byHand = v * 5 + 6 * 6 + 6 * 5 + 6 + v * 6 + v
        var operations: [Int] = []
        for length in [1, 4, 40, 400] {
            let shape = unrolledShape(model, ids: Array(ids.prefix(length + 1)))
            XCTAssertEqual(shape.parameters, 6)
            XCTAssertEqual(shape.parameterCount, byHand)
            operations.append(shape.operations)
        }
        XCTAssertEqual(operations, [1, 4, 40, 400].map { 10 * $0 })
    }

    /// Perplexity = exp(J): the product of inverse probabilities, word by word, against
    /// exp of the mean loss, for the same tokens.
    func testPerplexityIsExpOfTheLoss() {
        var generator = SeededGenerator(seed: 4)
        let v = Self.splits.train.vocabulary.count
        let cell = RNNCell<Float>(inputSize: 8, hiddenSize: 12, name: "rnn", using: &generator)
        let model = RecurrentLanguageModel(vocabularySize: v, embeddingSize: 8, layers: [cell], name: "rnn", using: &generator)
        for parameter in model.parameters { parameter.value = .uniform(parameter.shape, bound: 0.8, using: &generator) }
        let stream = TokenStream(Self.splits.test)
        let direct = productPerplexity(model, stream: stream, limit: 300)
        let j = firstTokensJ(model, stream: stream, count: 300)
        XCTAssertEqual(direct.count, 300)
        XCTAssertEqual(direct.perplexity, exp(j), accuracy: 1e-4 * exp(j))
        XCTAssertGreaterThan(direct.perplexity, 1)
    }

    /// Every token of the stream is predicted exactly once in evaluation windows, whatever
    /// the batch size; training windows drop only the remainder.
    func testStreamWindowsCoverEveryTokenOnce() {
        let stream = TokenStream(Self.splits.valid)
        XCTAssertEqual(stream.predictedCount, Self.splits.valid.predictedTokenCount)
        for (batch, length) in [(1, 7), (10, 35), (7, 3)] {
            // the (input, target) pairs read are exactly the stream's consecutive pairs
            var expected: [[Int]: Int] = [:], seen: [[Int]: Int] = [:]
            for i in 0..<stream.predictedCount { expected[[stream.ids[i], stream.ids[i + 1]], default: 0] += 1 }
            for window in stream.windows(batchSize: batch, length: length, complete: true) {
                for (t, row) in window.targets.enumerated() {
                    for (b, target) in row.enumerated() where target >= 0 { seen[[window.inputs[t][b], target], default: 0] += 1 }
                }
            }
            XCTAssertEqual(seen, expected)
            let train = stream.windows(batchSize: batch, length: length, complete: false).reduce(0) { $0 + $1.predictedCount }
            XCTAssertEqual(train, stream.predictedCount / batch * batch)
        }
    }

    /// A short seeded run on a slice of the sample lowers the validation perplexity.
    func testShortTrainingLowersValidationPerplexity() throws {
        var generator = SeededGenerator(seed: 1)
        let v = Self.splits.train.vocabulary.count
        let cell = RNNCell<Float>(inputSize: 16, hiddenSize: 32, name: "rnn", using: &generator)
        let model = RecurrentLanguageModel(vocabularySize: v, embeddingSize: 16, layers: [cell], name: "rnn", using: &generator)
        let train = TokenStream(ids: Array(TokenStream(Self.splits.train).ids.prefix(3000)), padding: Self.splits.train.endID)
        let valid = TokenStream(Self.splits.valid)
        let before = model.perplexity(of: valid)
        var settings = RecurrentTrainingSettings()
        settings.batchSize = 10
        settings.bptt = 10
        settings.method = .adam
        settings.learningRate = 0.01
        _ = try model.train(on: train, valid: valid, settings: settings, epochs: 3, quiet: true)
        let after = model.perplexity(of: valid)
        XCTAssertLessThan(after, 0.5 * before, "before \(before), after \(after)")
    }
}

/// On the Penn Treebank (skipped without ../shared/data): the RNN's stream predicts the
/// same 82,430 test tokens as the n-gram models, and every one is scored once.
final class Chapter05PennTreebankTests: XCTestCase {
    func testStreamPredictsTheSameTokensAsTheNGramModels() throws {
        guard let data = DataDirectory.sharedIfPresent() else {
            throw XCTSkip("../shared/data is absent (a fresh clone): the Penn Treebank checks are skipped")
        }
        let train = try IndexedCorpus(data.ptbTrain)
        let test = try IndexedCorpus(data.ptbTest, vocabulary: train.vocabulary)
        let stream = TokenStream(test)
        XCTAssertEqual(stream.predictedCount, 82_430)
        let scored = stream.windows(batchSize: 10, length: 50, complete: true).reduce(0) { $0 + $1.predictedCount }
        XCTAssertEqual(scored, 82_430)
        // one </s> per line, each predicted once
        XCTAssertEqual(stream.ids.dropFirst().filter { $0 == test.endID }.count, test.sentences.count)
    }
}
