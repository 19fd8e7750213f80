import NeuralKit
import XCTest
@testable import Chapter04

/// The slides' remaining problem of the fixed window: x(1) and x(2) are multiplied by
/// completely different weights in W, so the window has no symmetry. Checked on the
/// model: W is H × 4d, word k of the window meets only its own block of d columns, and
/// swapping two context words changes ŷ (an average of the embeddings, as in the DAN,
/// would not change).
final class PositionWeightsTests: XCTestCase {
    func testEachPositionHasItsOwnBlockOfW() throws {
        var generator = SeededGenerator(seed: 5)
        let (v, d, h) = (12, 3, 5)
        let model = WindowLanguageModel<Double>(vocabularySize: v, embeddingSize: d, hiddenSize: h, using: &generator)
        let weights = model.hidden.parameters.first { $0.shape == [h, 4 * d] } ?? model.hidden.parameters.first { $0.shape == [4 * d, h] }
        XCTAssertNotNil(weights, "W should have one block of d columns per window position: \(model.hidden.parameters.map(\.shape))")

        // ∂J/∂W for a window whose only nonzero embedding is word k's: the other
        // positions' blocks of W get exactly zero gradient.
        let context = [1, 2, 3, 4]
        for k in 0..<4 {
            let saved = model.embedding.parameters[0].value
            var table = saved.scalars
            for (position, id) in context.enumerated() where position != k {
                for j in 0..<d { table[id * d + j] = 0 }
            }
            model.embedding.parameters[0].value = Tensor(shape: saved.shape, scalars: table)
            let tape = Tape<Double>()
            let loss = model.loss(context, targets: [7], on: tape, dropout: 0, using: &generator)
            tape.backward(from: loss)
            let w = weights!, g = w.gradient.scalars
            let rows = w.shape[0], columns = w.shape[1]
            for position in 0..<4 where position != k {
                var largest = 0.0
                for r in 0..<rows {
                    for j in 0..<d {
                        let index = columns == 4 * d ? r * columns + position * d + j : (position * d + j) * columns + r
                        largest = max(largest, abs(g[index]))
                    }
                }
                XCTAssertEqual(largest, 0, "block \(position) of W got a gradient from word \(k)")
            }
            model.parameters.forEach { $0.zeroGradient() }
            model.embedding.parameters[0].value = saved
        }
        // Swapping the first two words changes the distribution of the next word.
        let p = model.distribution([1, 2, 3, 4]).scalars, q = model.distribution([2, 1, 3, 4]).scalars
        XCTAssertGreaterThan(zip(p, q).map { abs($0 - $1) }.max()!, 1e-6)
    }
}
