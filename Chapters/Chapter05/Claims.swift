import Foundation
import NeuralKit
import RecurrentLM
import TextData

/// The size of the tape when the model is unrolled over `ids` (inputs: all but the
/// last; targets: all but the first): operations recorded, distinct parameters, and the
/// numbers in them.
func unrolledShape(_ model: RNNLanguageModel, ids: [Int]) -> (operations: Int, parameters: Int, parameterCount: Int) {
    let tape = Tape<Float>()
    _ = model.loss(ids.dropLast().map { [$0] }, targets: ids.dropFirst().map { [$0] },
                   from: model.zeroState(batchSize: 1), on: tape, unrolling: .stepByStep)
    let parameters = tape.nodes.compactMap(\.parameter)
    return (tape.nodes.filter { $0.kind == .operation }.count, parameters.count, parameters.parameterCount())
}

/// Perplexity straight from its definition, (∏ₜ 1/P(x⁽ᵗ⁺¹⁾ | x⁽ᵗ⁾ … x⁽¹⁾))^(1/N), reading
/// the stream one word at a time (batch 1, from the zero state) and taking each
/// probability from the softmax ŷ. The product is kept as m · 2^e, renormalised after
/// every factor, so it neither overflows nor needs a logarithm. `limit` caps N.
func productPerplexity(_ model: RNNLanguageModel, stream: TokenStream, limit: Int? = nil) -> (perplexity: Double, count: Int) {
    let n = min(stream.predictedCount, limit ?? .max)
    var state = model.zeroState(batchSize: 1)
    var mantissa = 1.0, exponent = 0
    for i in 0..<n {
        let tape = Tape<Float>()
        let (h, final) = model.hiddenStates([[stream.ids[i]]], from: state, on: tape)
        state = final.map { $0.map(\.value) }
        let p = Double(model.distribution(after: h.value).scalars[stream.ids[i + 1]])
        mantissa /= p
        let parts = frexp(mantissa)
        mantissa = parts.0
        exponent += parts.1
    }
    // (m · 2^e)^(1/N) = m^(1/N) · 2^(e/N)
    return (Foundation.pow(mantissa, 1 / Double(n)) * Foundation.pow(2, Double(exponent) / Double(n)), n)
}

/// J (the training loss, batch 1, from the zero state) over the first `count` predicted
/// tokens of `stream`.
func firstTokensJ(_ model: RNNLanguageModel, stream: TokenStream, count: Int) -> Double {
    let prefix = TokenStream(ids: Array(stream.ids.prefix(count + 1)), padding: stream.padding)
    let (total, n) = model.negativeLogLikelihood(of: prefix, batchSize: 1)
    return total / Double(n)
}

// book: details What --json FILE writes
/// What `--json FILE` writes.
struct Results: Encodable {
    var validPerplexity = 0.0
    var testPerplexity = 0.0
    var trainSeconds = 0.0
    var wordsPerSecond = 0.0
    var parameterCount = 0
    var perplexityFromProduct = 0.0
    var kneserNey5TestPerplexity = 0.0
    var epochs: [EpochResult] = []
    var generated = ""
    var seconds = 0.0
}

struct EpochResult: Encodable {
    var epoch: Int
    var trainPerplexity: Double
    var validPerplexity: Double
    var testPerplexity: Double?
    var learningRate: Double
}
