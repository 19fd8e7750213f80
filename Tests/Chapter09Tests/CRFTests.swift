import Foundation
import NeuralKit
import XCTest
@testable import Classifiers

/// The linear-chain CRF against brute force: every tag sequence of a short sentence
/// enumerated and scored term by term.
final class CRFTests: XCTestCase {
    func randomCRF(tags k: Int, seed: UInt64) -> LinearChainCRF<Double> {
        var g = SeededGenerator(seed: seed)
        let crf = LinearChainCRF<Double>(tags: k, name: "crf")
        for p in crf.parameters { p.value = .uniform(p.shape, bound: 2, using: &g) }
        return crf
    }

    /// Every sequence of `steps` tags out of `k`, as lists.
    func allSequences(_ steps: Int, _ k: Int) -> [[Int]] {
        (0..<steps).reduce([[]]) { partial, _ in partial.flatMap { prefix in (0..<k).map { prefix + [$0] } } }
    }

    /// score(y) written out from the definition, independently of the CRF's own `score`.
    func score(_ crf: LinearChainCRF<Double>, _ e: Tensor<Double>, _ y: [Int]) -> Double {
        let k = crf.tagCount
        var total = crf.start.value.scalars[y[0]] + crf.end.value.scalars[y.last!]
        for t in y.indices { total += e.scalars[t * k + y[t]] }
        for t in 1..<y.count { total += crf.transitions.value.scalars[y[t - 1] * k + y[t]] }
        return total
    }

    func testForwardAlgorithmEqualsTheSumOverEverySequence() {
        for (steps, seed) in [(1, 1), (2, 2), (3, 3), (5, 4)] as [(Int, UInt64)] {
            let k = 4
            let crf = randomCRF(tags: k, seed: seed)
            var g = SeededGenerator(seed: seed + 100)
            let e = Tensor<Double>.uniform([steps, k], bound: 3, using: &g)
            let z = allSequences(steps, k).reduce(0.0) { $0 + Foundation.exp(score(crf, e, $1)) }
            XCTAssertEqual(crf.logPartition(e), Foundation.log(z), accuracy: 1e-12, "T = \(steps)")
            // and the probabilities of all sequences sum to 1
            let total = allSequences(steps, k).reduce(0.0) { $0 + Foundation.exp(score(crf, e, $1) - crf.logPartition(e)) }
            XCTAssertEqual(total, 1, accuracy: 1e-12)
        }
    }

    /// Large scores: the log-space recursion stays finite where exp would overflow.
    func testForwardAlgorithmIsStableForLargeScores() {
        let crf = randomCRF(tags: 3, seed: 9)
        let e = Tensor<Double>(shape: [4, 3], scalars: [800, 0, -800, 0, 900, 0, 1000, 1000, 0, -5, 0, 5])
        let z = crf.logPartition(e)
        XCTAssertTrue(z.isFinite)
        let best = allSequences(4, 3).map { score(crf, e, $0) }.max()!
        XCTAssertGreaterThanOrEqual(z, best)
        XCTAssertLessThanOrEqual(z, best + Foundation.log(81))
    }

    func testLossIsLogZMinusTheGoldScore() {
        let crf = randomCRF(tags: 3, seed: 5)
        var g = SeededGenerator(seed: 6)
        let e = Tensor<Double>.uniform([4, 3], bound: 2, using: &g)
        let gold = [2, 0, 0, 1]
        let z = allSequences(4, 3).reduce(0.0) { $0 + Foundation.exp(score(crf, e, $1)) }
        let tape = Tape<Double>()
        let loss = crf.negativeLogLikelihood(tape.input(e, name: "E"), tags: gold)
        XCTAssertEqual(loss.value.scalar, Foundation.log(z) - score(crf, e, gold), accuracy: 1e-12)
    }

    func testGradientsMatchFiniteDifferences() {
        let crf = randomCRF(tags: 4, seed: 7)
        var g = SeededGenerator(seed: 8)
        let emissions = Parameter<Double>("E", .uniform([5, 4], bound: 2, using: &g))
        for gold in [[0, 1, 1, 3, 2], [3, 3, 3, 3, 3]] {
            let result = gradientCheck(crf.parameters + [emissions]) { tape in
                crf.negativeLogLikelihood(tape.parameter(emissions), tags: gold) * 1.5
            }
            XCTAssertLessThan(result.maxRelativeError, 1e-6, "\(result)")
        }
        // one word: only s, e and E matter
        let single = Parameter<Double>("E1", .uniform([1, 4], bound: 2, using: &g))
        let result = gradientCheck(crf.parameters + [single]) { tape in crf.negativeLogLikelihood(tape.parameter(single), tags: [2]) }
        XCTAssertLessThan(result.maxRelativeError, 1e-6, "\(result)")
    }

    func testViterbiFindsTheBestSequence() {
        for seed: UInt64 in 1...6 {
            let k = 3, steps = Int(seed % 4) + 1
            let crf = randomCRF(tags: k, seed: seed)
            var g = SeededGenerator(seed: seed + 50)
            let e = Tensor<Double>.uniform([steps, k], bound: 2, using: &g)
            let best = allSequences(steps, k).max { score(crf, e, $0) < score(crf, e, $1) }!
            XCTAssertEqual(crf.viterbi(e), best, "seed \(seed)")
            // forbidding tag 1 after tag 0, and starting with tag 2
            let allowed: (Int?, Int) -> Bool = { i, j in i == nil ? j != 2 : !(i == 0 && j == 1) }
            let legal = allSequences(steps, k).filter { y in allowed(nil, y[0]) && zip(y, y.dropFirst()).allSatisfy { allowed($0, $1) } }
            let bestLegal = legal.max { score(crf, e, $0) < score(crf, e, $1) }!
            XCTAssertEqual(crf.viterbi(e, allowed: allowed), bestLegal, "seed \(seed), constrained")
        }
    }
}
