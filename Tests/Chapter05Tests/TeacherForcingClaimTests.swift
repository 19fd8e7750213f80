import Foundation
import NeuralKit
import RecurrentLM
import TextData
import XCTest

/// Claim (teacher forcing): in training, the input at step t is the gold token w(t), never
/// the model's own prediction, and the target is the gold w(t+1).
final class TeacherForcingClaimTests: XCTestCase {
    typealias Model = RecurrentLanguageModel<RNNCell<Double>>

    func model(seed: UInt64 = 3) -> Model {
        var generator = SeededGenerator(seed: seed)
        let cell = RNNCell<Double>(inputSize: 3, hiddenSize: 4, name: "rnn", using: &generator)
        let model = RecurrentLanguageModel(vocabularySize: 7, embeddingSize: 3, layers: [cell], name: "lm", using: &generator)
        cell.bias.value = .uniform([4], bound: 0.5, using: &generator)
        model.output.bias!.value = .uniform([7], bound: 0.5, using: &generator)
        return model
    }

    /// The RNN language model written out here as plain loops over one column of the
    /// stream: h(t) = tanh(W_h h(t−1) + W_e E[x(t)] + b₁), J(t) = −log softmax(U h(t) + b₂)[y(t)].
    /// `feed` chooses the next input from (the gold next token, the model's most probable
    /// word): the summed J and the last h.
    func handLoop(_ m: Model, start: [Double], first: Int, gold: [Int], feed: (Int, Int) -> Int) -> (Double, [Double]) {
        let cell = m.layers[0]
        let (E, Wh, We, b1) = (m.embedding.table.value, cell.recurrentWeight.value, cell.inputWeight.value, cell.bias.value.scalars)
        let (U, b2) = (m.output.weight.value, m.output.bias!.value.scalars)
        let H = b1.count
        var h = start, x = first, total = 0.0
        for target in gold {
            h = (0..<H).map { i in
                let recurrent = (0..<H).map { j in Wh[i, j] * h[j] }.reduce(0, +)
                let input = (0..<E.columns).map { k in We[i, k] * E[x, k] }.reduce(0, +)
                return Foundation.tanh(recurrent + input + b1[i])
            }
            let logits = (0..<U.rows).map { v in (0..<H).map { j in U[v, j] * h[j] }.reduce(b2[v], +) }
            let m = logits.max()!
            let logZ = m + Foundation.log(logits.map { Foundation.exp($0 - m) }.reduce(0, +))
            total += logZ - logits[target]
            x = feed(target, logits.indices.max { logits[$0] < logits[$1] }!)
        }
        return (total, h)
    }

    /// A stream of 13 tokens in 2 columns of 6 predictions, read in windows of 3 steps
    /// (`TokenStream.windows`, as training reads it). (1) Each window's inputs are the
    /// stream's own tokens, column b at position b·6 + t, and its targets the next ones.
    /// (2) The model's loss on each window (both unrollings, the state carried from the
    /// first window to the second) equals the hand loop fed the gold tokens from the
    /// stream itself, and differs from the same loop fed its own predictions. (3) The
    /// hidden states do not depend on the output layer: with U replaced (so the
    /// predictions change), h(t) stays bit for bit, as it would not if the predictions
    /// were fed back.
    func testInputsAreTheGoldTokens() {
        let ids = [6, 2, 5, 1, 1, 0, 4, 3, 2, 6, 5, 0, 1]
        let stream = TokenStream(ids: ids, padding: 6)
        let windows = stream.windows(batchSize: 2, length: 3, complete: false)
        XCTAssertEqual(windows.count, 2)
        for (w, window) in windows.enumerated() {
            for t in 0..<3 {
                for b in 0..<2 {
                    XCTAssertEqual(window.inputs[t][b], ids[b * 6 + w * 3 + t])
                    XCTAssertEqual(window.targets[t][b], ids[b * 6 + w * 3 + t + 1])
                }
            }
        }
        let m = model()
        for unrolling in [Model.Unrolling.batched, .stepByStep] {
            var state = m.zeroState(batchSize: 2)
            var hands = [[Double]](repeating: [0, 0, 0, 0], count: 2)
            for (w, window) in windows.enumerated() {
                let (loss, final) = m.loss(window.inputs, targets: window.targets, from: state, on: Tape(), unrolling: unrolling)
                state = final.map { $0.map(\.value) }
                var forced = 0.0, free = 0.0
                for b in 0..<2 {
                    let first = ids[b * 6 + w * 3], gold = Array(ids[(b * 6 + w * 3 + 1)...(b * 6 + w * 3 + 3)])
                    let (j, h) = handLoop(m, start: hands[b], first: first, gold: gold) { gold, _ in gold }
                    forced += j
                    free += handLoop(m, start: hands[b], first: first, gold: gold) { _, predicted in predicted }.0
                    hands[b] = h
                }
                XCTAssertEqual(loss.value.scalar, forced / 6, accuracy: 1e-12, "\(unrolling), window \(w)")
                XCTAssertGreaterThan(abs(loss.value.scalar - free / 6), 1e-3, "\(unrolling), window \(w): free running as close")
            }
        }
        // (3) the output layer changes, the hidden states do not
        let inputs = windows[0].inputs
        let before = m.hiddenStates(inputs, from: m.zeroState(batchSize: 2), on: Tape()).outputs.value
        let predictionsBefore = m.distribution(after: before)
        var g = SeededGenerator(seed: 99)
        m.output.weight.value = .uniform(m.output.weight.value.shape, bound: 3, using: &g)
        let after = m.hiddenStates(inputs, from: m.zeroState(batchSize: 2), on: Tape()).outputs.value
        XCTAssertEqual(after.scalars, before.scalars)
        XCTAssertNotEqual(m.distribution(after: after).scalars, predictionsBefore.scalars)
    }
}
