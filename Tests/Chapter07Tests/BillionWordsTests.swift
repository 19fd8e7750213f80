import Foundation
import NeuralKit
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
