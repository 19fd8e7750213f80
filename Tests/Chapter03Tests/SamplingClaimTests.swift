import Foundation
import NGram
import NeuralKit
import TextData
import XCTest
@testable import Chapter03

/// Claim: text sampled from an n-gram model follows the model's distribution.
final class NGramSamplingClaimTests: XCTestCase {
    /// From the chapter's fixed context "today the", 20,000 seeded draws of the chapter's
    /// sampler (`sampleNextWord`, what `generate` draws at each step) against P(w | today
    /// the) read word by word from the Kneser-Ney trigram's `probability` (the
    /// distribution; the sampler is what is under test).
    ///
    /// The bound on the total-variation distance TV = ½ Σ_w |p̂(w) − p(w)|: each count is
    /// binomial, so E|p̂(w) − p(w)| ≤ √(p(w)(1 − p(w))/n) and E[TV] ≤ ½ Σ_w √(p(1 − p)/n)
    /// (≈ 0.02 here, 77 words); one draw moves TV by at most 1/n, so by McDiarmid's
    /// inequality P(TV ≥ E[TV] + t) ≤ exp(−2nt²), and t = √(ln 10⁴ / 2n) ≈ 0.015 leaves
    /// a chance of 10⁻⁴. A sampler off by one word, or uniform, is far outside (checked).
    func testSampledWordsFollowTheModelsDistribution() throws {
        let corpus = Chapter03Tests.sample
        // on the sample, as the chapter does, with KenLM's fallback discounts where the sample is too small
        let model = try KneserNeyModel(NGramCounts(corpus, order: 3), fallback: .kenLM)
        let v = corpus.vocabulary
        let context = [corpus.startID, v.id("today"), v.id("the")].suffix(2)
        let ids = model.predictedIDs
        let p = ids.map { model.probability(of: $0, after: context)! }
        XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-9)
        XCTAssertGreaterThan(ids.count, 50)

        let n = 20_000
        var generator = SeededGenerator(seed: 11)
        var counts = [Int: Int]()
        for _ in 0..<n { counts[sampleNextWord(model, after: context, using: &generator), default: 0] += 1 }
        XCTAssertTrue(Set(counts.keys).isSubset(of: Set(ids)), "a draw outside the predicted words")
        let empirical = ids.map { Double(counts[$0] ?? 0) / Double(n) }

        let tv = 0.5 * zip(empirical, p).map { abs($0 - $1) }.reduce(0, +)
        let bound = 0.5 * p.map { ($0 * (1 - $0) / Double(n)).squareRoot() }.reduce(0, +)
            + (log(1e4) / (2 * Double(n))).squareRoot()
        XCTAssertLessThan(tv, bound, "TV \(tv) over \(ids.count) words")
        // The bound tells a wrong sampler apart: the uniform distribution, or every word
        // shifted to its neighbour's probability, is far outside it.
        let uniform = 0.5 * p.map { abs($0 - 1 / Double(p.count)) }.reduce(0, +)
        let shifted = 0.5 * zip(p, p.dropFirst() + [p[0]]).map { abs($0 - $1) }.reduce(0, +)
        XCTAssertGreaterThan(min(uniform, shifted), 3 * bound, "the test could not tell a wrong sampler")
        // And the words the model deems likeliest are drawn most: the top word's count is
        // within 4 standard deviations of n·p.
        let top = p.indices.max { p[$0] < p[$1] }!
        let sd = (Double(n) * p[top] * (1 - p[top])).squareRoot()
        XCTAssertEqual(Double(counts[ids[top]] ?? 0), Double(n) * p[top], accuracy: 4 * sd)
    }
}
