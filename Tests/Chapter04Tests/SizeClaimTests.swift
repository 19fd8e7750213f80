import Foundation
import NGram
import NeuralKit
import TextData
import XCTest
@testable import Chapter04

/// Claim (slides: "don't need to store all observed n-grams"): the fixed-window model's
/// size does not depend on the corpus, only on |V| and the layer sizes.
final class WindowModelSizeClaimTests: XCTestCase {
    /// Two training texts over the same vocabulary (|V| = the sample's): the sample and its
    /// first 5% of sentences, about 20 times shorter: each gets a model built from its own vocabulary and trained on
    /// it for an epoch. The parameter tensors' element counts (read off their shapes, not
    /// from `parameterCount`) are the same for both and equal the count from the slide's
    /// equations, written out here:
    ///   e = [e⁽¹⁾; …; e⁽⁴⁾]: E is |V| × d;  h = tanh(W e + b₁): W is H × 4d, b₁ is H;
    ///   ŷ = softmax(U h + b₂): U is |V| × H, b₂ is |V|.
    /// With |V| = the sample's, d = 8, H = 16. Meanwhile the n-grams a 5-gram model would
    /// store grow with the text.
    func testSameParameterCountForAShortAndALongCorpus() throws {
        let long = Chapter04Tests.sample
        let short = IndexedCorpus(
            sentences: long.sentences.prefix(long.sentences.count / 20).map { $0.map(long.vocabulary.word) },
            vocabulary: long.vocabulary)
        XCTAssertGreaterThan(long.predictedTokenCount, 15 * short.predictedTokenCount)
        let (d, H) = (8, 16)
        var sizes: [[Int]] = []
        for corpus in [short, long] {
            let V = corpus.vocabulary.count
            var generator = SeededGenerator(seed: 1)
            let model = WindowLanguageModel<Float>(vocabularySize: V, embeddingSize: d, hiddenSize: H, using: &generator)
            try train(model, on: Windows(corpus), settings: TrainingSettings(epochs: 1, batchSize: 512), using: &generator)
            let elements = model.parameters.map { $0.value.shape.reduce(1, *) }
            // E, W, b₁, U, b₂ as the slide's equations size them
            XCTAssertEqual(elements, [V * d, H * (4 * d), H, V * H, V])
            let byHand = V * d + H * 4 * d + H + V * H + V
            XCTAssertEqual(elements.reduce(0, +), byHand)
            sizes.append(elements)
        }
        XCTAssertEqual(sizes[0], sizes[1])
        let stored = [short, long].map { corpus in
            let grams = NGramCounts(corpus, order: 5)
            return (1...5).reduce(0) { $0 + grams.distinct(order: $1) }
        }
        XCTAssertGreaterThan(stored[1], 3 * stored[0])  // the n-grams to store grow with the text
    }
}
