import Foundation
import NeuralKit
import RecurrentLM
import XCTest

/// Claim: text sampled from an RNN language model follows ŷ, and temperature T changes it
/// to p ∝ ŷ^(1/T).
final class RecurrentSamplingClaimTests: XCTestCase {
    /// A small random model (|V| = 30) with output biases spread over ±2, so ŷ is far from
    /// uniform.
    func model() -> RecurrentLanguageModel<RNNCell<Double>> {
        var generator = SeededGenerator(seed: 5)
        let cell = RNNCell<Double>(inputSize: 6, hiddenSize: 8, name: "rnn", using: &generator)
        let model = RecurrentLanguageModel(vocabularySize: 30, embeddingSize: 6, layers: [cell], name: "lm", using: &generator)
        cell.bias.value = .uniform([8], bound: 0.5, using: &generator)
        model.output.bias!.value = .uniform([30], bound: 2, using: &generator)
        return model
    }

    /// ŷ after `prompt`, computed here: the top hidden state from the model's forward
    /// pass, then softmax(U h + b₂) written out in Double.
    func softmaxByHand(_ model: RecurrentLanguageModel<RNNCell<Double>>, after prompt: [Int]) -> [Double] {
        let (outputs, _) = model.hiddenStates(prompt.map { [$0] }, from: model.zeroState(batchSize: 1), on: Tape())
        let h = outputs.value.row(outputs.value.rows - 1)
        let U = model.output.weight.value, b = model.output.bias!.value.scalars
        let logits = (0..<U.rows).map { i in zip(U.row(i), h).map(*).reduce(b[i], +) }
        let m = logits.max()!
        let e = logits.map { Foundation.exp($0 - m) }
        let z = e.reduce(0, +)
        return e.map { $0 / z }
    }

    /// TV = ½ Σ |p̂ − p| stays under E[TV] + t, with E[TV] ≤ ½ Σ √(p(1 − p)/n) (each count
    /// is binomial) and t = √(ln 10⁴ / 2n) (McDiarmid: one draw moves TV by at most 1/n,
    /// so exceeding it has a chance below 10⁻⁴). For n = 20,000 over 30 words: ≈ 0.03.
    func bound(_ p: [Double], _ n: Int) -> Double {
        0.5 * p.map { ($0 * (1 - $0) / Double(n)).squareRoot() }.reduce(0, +) + (log(1e4) / (2 * Double(n))).squareRoot()
    }

    func tv(_ a: [Double], _ b: [Double]) -> Double { 0.5 * zip(a, b).map { abs($0 - $1) }.reduce(0, +) }

    func entropy(_ p: [Double]) -> Double { -p.filter { $0 > 0 }.map { $0 * log($0) }.reduce(0, +) }

    /// 20,000 seeded draws of `generate` (one word each, after the same prompt) at
    /// T = 0.5, 1 and 2, each against ŷ^(1/T) normalised, computed here with `pow`.
    /// At T = 1 that is ŷ itself; the three targets are far apart (more than 3 bounds),
    /// so a sampler that ignored T, or used ŷ^T, would fail; and the entropy of the draws
    /// rises with T (sharper below 1, flatter above).
    func testSamplesFollowTheSoftmaxAndTemperature() {
        let model = model()
        let prompt = [3, 17, 8]
        let y = softmaxByHand(model, after: prompt)
        XCTAssertEqual(y.reduce(0, +), 1, accuracy: 1e-12)
        let n = 20_000
        var entropies: [Double] = []
        var targets: [Double: [Double]] = [:]
        for temperature in [0.5, 1, 2] {
            let powered = y.map { Foundation.pow($0, 1 / temperature) }
            let z = powered.reduce(0, +)
            let target = powered.map { $0 / z }
            targets[temperature] = target
            var generator = SeededGenerator(seed: 21)
            var counts = [Int](repeating: 0, count: y.count)
            for _ in 0..<n {
                let word = model.generate(after: prompt, count: 1, temperature: temperature, using: &generator)
                XCTAssertEqual(word.count, 1)
                counts[word[0]] += 1
            }
            let empirical = counts.map { Double($0) / Double(n) }
            let distance = tv(empirical, target), limit = bound(target, n)
            XCTAssertLessThan(distance, limit, "T = \(temperature): TV \(distance)")
            entropies.append(entropy(empirical))
        }
        let limit = bound(targets[1]!, n)
        XCTAssertGreaterThan(tv(targets[0.5]!, targets[1]!), 3 * limit, "T = 0.5 too close to T = 1 to tell")
        XCTAssertGreaterThan(tv(targets[2]!, targets[1]!), 3 * limit, "T = 2 too close to T = 1 to tell")
        XCTAssertLessThan(entropies[0], entropies[1])
        XCTAssertLessThan(entropies[1], entropies[2])
    }
}
