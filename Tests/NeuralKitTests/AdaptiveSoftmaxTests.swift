import XCTest
@testable import NeuralKit

/// The adaptive softmax: a true distribution, the right gradient, only the clusters a
/// batch uses, the full softmax when there is no tail, and a loss that is the mean of
/// −log p(target) computed word by word by hand.
final class AdaptiveSoftmaxTests: XCTestCase {
    /// |V| = 30, d = 16: head of 6 words + 3 cluster entries; clusters 6..<10, 10..<18,
    /// 18..<30 with projections of 4, 1 and 1 dimensions (16 / 4, / 16, / 64 → 1).
    func model(seed: UInt64 = 1) -> AdaptiveSoftmax<Double> {
        var g = SeededGenerator(seed: seed)
        let layer = AdaptiveSoftmax<Double>(inputSize: 16, vocabularySize: 30, cutoffs: [6, 10, 18], name: "out", using: &g)
        // Nonzero biases, so they are checked too.
        for p in layer.parameters where p.name.hasSuffix(".b") {
            p.value = .uniform(p.shape, bound: 0.5, using: &g)
        }
        return layer
    }

    func hidden(_ rows: Int, seed: UInt64 = 2) -> Tensor<Double> {
        var g = SeededGenerator(seed: seed)
        return .uniform([rows, 16], bound: 1, using: &g)
    }

    func testShapesFollowTheCutoffs() {
        let layer = model()
        XCTAssertEqual(layer.head.weight.shape, [9, 16])
        XCTAssertEqual(layer.tails.map(\.projection.weight.shape), [[4, 16], [1, 16], [1, 16]])
        XCTAssertEqual(layer.tails.map(\.output.weight.shape), [[4, 4], [8, 1], [12, 1]])
        XCTAssertEqual([0, 5, 6, 9, 10, 17, 18, 29].map(layer.cluster(of:)), [0, 0, 1, 1, 2, 2, 3, 3])
    }

    func testProbabilitiesSumToOneOverTheVocabulary() {
        let logP = model().logProbabilities(hidden(5))
        for r in 0..<5 {
            let total = (0..<30).reduce(0.0) { $0 + Foundation.exp(logP.scalars[r * 30 + $1]) }
            XCTAssertEqual(total, 1, accuracy: 1e-12)
            XCTAssertTrue((0..<30).allSatisfy { logP.scalars[r * 30 + $0] < 0 })
        }
    }

    /// −log p(w | h) from the weights with plain loops: the head's log-softmax, plus the
    /// cluster's for a tail word, each log Σ exp written out.
    func byHand(_ layer: AdaptiveSoftmax<Double>, _ h: [Double], word w: Int) -> Double {
        func logSoftmax(_ weight: Tensor<Double>, _ bias: Tensor<Double>?, _ x: [Double], at index: Int) -> Double {
            let logits = (0..<weight.rows).map { i in
                (0..<x.count).reduce(bias?.scalars[i] ?? 0) { $0 + weight.scalars[i * x.count + $1] * x[$1] }
            }
            return logits[index] - Foundation.log(logits.reduce(0) { $0 + Foundation.exp($1) })
        }
        let bounds = [0, 6, 10, 18, 30]
        guard w >= 6 else { return -logSoftmax(layer.head.weight.value, layer.head.bias!.value, h, at: w) }
        let k = (1...3).first { w < bounds[$0 + 1] }!
        let tail = layer.tails[k - 1]
        let p = tail.projection.weight.value
        let projected = (0..<p.rows).map { i in (0..<16).reduce(0.0) { $0 + p.scalars[i * 16 + $1] * h[$1] } }
        return -logSoftmax(layer.head.weight.value, layer.head.bias!.value, h, at: 6 + k - 1)
            - logSoftmax(tail.output.weight.value, tail.output.bias!.value, projected, at: w - bounds[k])
    }

    func testLossIsTheMeanOfMinusLogPWordByWord() {
        let layer = model(), h = hidden(7)
        let targets = [0, 29, 7, 12, 5, 18, 9]
        let expected = targets.enumerated().reduce(0.0) { $0 + byHand(layer, h.row($1.offset), word: $1.element) } / 7
        let tape = Tape<Double>()
        let x = tape.input(h, name: "h")
        XCTAssertEqual(layer.loss(x, targets: targets).value.scalar, expected, accuracy: 1e-12)
        XCTAssertEqual(layer.fusedLoss(x, targets: targets).value.scalar, expected, accuracy: 1e-12)
        let logP = layer.logProbabilities(h)
        for (r, w) in targets.enumerated() {
            XCTAssertEqual(-logP.scalars[r * 30 + w], byHand(layer, h.row(r), word: w), accuracy: 1e-12)
        }
    }

    func testGradientsMatchFiniteDifferences() {
        let layer = model(), h = hidden(6)
        let targets = [1, 8, 15, 29, 3, 16]
        for fused in [false, true] {
            let result = gradientCheck(layer.parameters) { tape in
                let x = tape.input(h, name: "h")
                return fused ? layer.fusedLoss(x, targets: targets) : layer.loss(x, targets: targets)
            }
            XCTAssertLessThan(result.maxRelativeError, 1e-6, "fused: \(fused)\n\(result)")
        }
        // and with respect to h, through the rows gathered for each cluster
        let table = Parameter<Double>("h", h)
        let result = gradientCheck([table]) { tape in layer.loss(tape.parameter(table), targets: targets) }
        XCTAssertLessThan(result.maxRelativeError, 1e-6, "\(result)")
    }

    /// Targets in the head and cluster 2 only: the tape holds cluster 2's three
    /// parameters and none of clusters 1's and 3's, and each of its products once.
    func testOnlyTheClustersTheTargetsUseAreEvaluated() {
        let layer = model()
        for fused in [false, true] {
            let tape = Tape<Double>()
            let x = tape.input(hidden(4), name: "h")
            let targets = [0, 12, 3, 17]
            _ = fused ? layer.fusedLoss(x, targets: targets) : layer.loss(x, targets: targets)
            let used = Set(tape.nodes.compactMap { $0.parameter?.name })
            let clusters = Set(used.compactMap { name in name.split(separator: ".").dropFirst().first.flatMap { $0.hasPrefix("tail") ? String($0) : nil } })
            XCTAssertEqual(clusters, ["tail2"], "fused: \(fused)")
            XCTAssertTrue(used.contains("out.head.W"))
            // The rows sent to cluster 2: the two whose targets (12, 17) are in it.
            let gathered = tape.nodes.filter { $0.label == "rows in cluster 2" }
            XCTAssertEqual(gathered.map(\.value.shape), [[2, 16]])
        }
    }

    /// No cutoffs: the head is the whole vocabulary, and the loss is the full softmax's
    /// cross-entropy with the same weights, to rounding.
    func testWithNoTailItIsTheFullSoftmax() {
        var g = SeededGenerator(seed: 3)
        let layer = AdaptiveSoftmax<Double>(inputSize: 16, vocabularySize: 30, cutoffs: [], name: "out", using: &g)
        XCTAssertTrue(layer.tails.isEmpty)
        XCTAssertEqual(layer.head.weight.shape, [30, 16])
        let full = Linear<Double>(weight: Parameter("W", layer.head.weight.value), bias: Parameter("b", .uniform([30], bound: 1, using: &g)))
        layer.head.bias!.value = full.bias!.value
        let h = hidden(5), targets = [0, 29, 14, 3, 21]
        let tape = Tape<Double>()
        let x = tape.input(h, name: "h")
        let expected = softmaxCrossEntropy(logits: full(x), labels: targets).value.scalar
        XCTAssertEqual(layer.loss(x, targets: targets).value.scalar, expected, accuracy: 1e-13)
        XCTAssertEqual(layer.fusedLoss(x, targets: targets).value.scalar, expected, accuracy: 1e-13)
    }

    func testCutoffsForAVocabulary() {
        XCTAssertEqual(adaptiveSoftmaxCutoffs(vocabularySize: 10_000), [2_000])
        XCTAssertEqual(adaptiveSoftmaxCutoffs(vocabularySize: 33_000), [2_000, 20_000])
        XCTAssertEqual(adaptiveSoftmaxCutoffs(vocabularySize: 800_000), [2_000, 20_000, 200_000])
        XCTAssertEqual(adaptiveSoftmaxCutoffs(vocabularySize: 1_500), [])
    }
}

extension AdaptiveSoftmaxTests {
    /// At a language model's sizes, in Float: the fused loss and its gradient with respect
    /// to h agree with the readable loss's.
    func testFusedEqualsReadableAtLanguageModelSizes() {
        var g = SeededGenerator(seed: 11)
        let layer = AdaptiveSoftmax<Float>(inputSize: 200, vocabularySize: 79, cutoffs: [19], name: "out", using: &g)
        let h = Tensor<Float>.uniform([400, 200], bound: 1, using: &g)
        let targets = (0..<400).map { _ in g.nextInt(below: 79) }
        var results: [(Float, [Float])] = []
        for fused in [false, true] {
            let tape = Tape<Float>()
            let table = Parameter<Float>("h", h)
            let x = tape.parameter(table)
            let loss = fused ? layer.fusedLoss(x, targets: targets) : layer.loss(x, targets: targets)
            tape.backward(from: loss)
            results.append((loss.value.scalar, table.gradient.scalars))
            layer.parameters.zeroGradients()
        }
        XCTAssertEqual(results[0].0, results[1].0, accuracy: 1e-5)
        let largest = results[0].1.map(abs).max()!
        XCTAssertGreaterThan(largest, 0)
        for (a, b) in zip(results[0].1, results[1].1) { XCTAssertEqual(a, b, accuracy: 1e-4 * largest) }
    }
}
