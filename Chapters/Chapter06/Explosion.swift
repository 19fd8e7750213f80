import ChapterKit
import FigureKit
import Foundation
import NeuralKit
import RecurrentLM
import TextData

/// What the clipping experiment measured.
struct ExplosionResult: Encodable {
    var withoutClipping = ""
    var withoutClippingPerplexity = 0.0
    var withClippingValidPerplexity = 0.0
    var firstNorms: [Double] = []
    var clippedNorms: [Double] = []
}

/*: ## Exploding gradients in practice, and clipping

 The RNN language model of Chapter 5 on the bundled sample, trained twice from the same
 start with plain SGD at a large learning rate: once as is, once with the gradient's
 norm clipped before every step, exactly as Algorithm 1 of the slides (Pascanu et al.
 2013):

 $$
 \begin{aligned}
 \hat{g} &\leftarrow \frac{\partial J}{\partial \theta}; \qquad \text{if } \lVert \hat{g} \rVert \ge \text{threshold}: \quad \hat{g} \leftarrow \frac{\text{threshold}}{\lVert \hat{g} \rVert}\, \hat{g}
 \end{aligned}
 $$

 Clipping keeps the direction of the step and caps its length.
 <!-- output: Training with SGD -->
*/
extension Chapter06 {
    static let clipThreshold = 0.25

    func explodingInPractice(seed: UInt64) throws -> ExplosionResult {
        let splits = try LanguageModellingSplits(dataDirectory: nil)
        let train = TokenStream(splits.train), valid = TokenStream(splits.valid)
        var result = ExplosionResult()
        let vocabularySize = splits.train.vocabulary.count
        say("\n## Training with SGD at learning rate \(explosionLearningRate), without and with clipping (the bundled sample)")
        for clip in [0, Self.clipThreshold] {
            let model = explosionModel(vocabularySize: splits.train.vocabulary.count, seed: seed)
            var settings = RecurrentTrainingSettings()
            settings.learningRate = explosionLearningRate
            settings.clip = clip
            settings.measuredWindows = 8
            var optimizer = RecurrentOptimizer<Float>(.sgd, learningRate: settings.learningRate)
            var norms: [(before: Double, after: Double)] = []
            var largest = 0.0
            let label = clip == 0 ? "without clipping" : String(format: "with clipping at %.2f", clip)
            do {
                for epoch in 1...4 {
                    let report = try model.trainEpoch(on: train, settings: settings, optimizer: &optimizer, epoch: epoch, label: "") { _, _ in }
                    if epoch == 1 { norms = report.norms }
                    largest = max(largest, report.largestNorm)
                }
                let perplexity = model.perplexity(of: valid)
                let verdict = perplexity > Double(vocabularySize)
                    ? String(format: "diverged: validation perplexity %@, worse than guessing uniformly among the %d words",
                             formatScientific(perplexity), vocabularySize)
                    : String(format: "trained: validation perplexity %.1f", perplexity)
                say("  \(label): \(verdict); largest gradient norm \(formatScientific(largest))")
                if clip == 0 { result.withoutClipping = verdict; result.withoutClippingPerplexity = perplexity }
                else { result.withClippingValidPerplexity = perplexity }
            } catch let error as TrainingError {
                if clip == 0 { result.withoutClipping = error.description; result.withoutClippingPerplexity = .infinity }
                say("  \(label): \(error)")
            }
            if clip > 0 {
                result.firstNorms = norms.prefix(8).map(\.before)
                result.clippedNorms = norms.prefix(8).map(\.after)
                say("  the first 8 gradient norms ‖ĝ‖ before → after clipping (measured again from the clipped gradients):")
                say("  " + norms.prefix(8).map { String(format: "%.3f → %.3f", $0.before, $0.after) }.joined(separator: ",  "))
            }
        }
        return result
    }

    func explosionModel(vocabularySize: Int, seed: UInt64) -> RecurrentLanguageModel<RNNCell<Float>> {
        var generator = SeededGenerator(seed: seed)
        let cell = RNNCell<Float>(inputSize: 64, hiddenSize: 64, name: "rnn", using: &generator)
        return RecurrentLanguageModel(vocabularySize: vocabularySize, embeddingSize: 64, layers: [cell], name: "rnn", using: &generator)
    }

    /*: ## Residual connections keep the gradient alive in depth

     The same product appears in any deep stack of layers h⁽ˡ⁾ = f(W⁽ˡ⁾ h⁽ˡ⁻¹⁾): the
     gradient reaching layer 1 has passed through every Jacobian above it. With an
     identity connection, h⁽ˡ⁾ = h⁽ˡ⁻¹⁾ + f(W⁽ˡ⁾ h⁽ˡ⁻¹⁾), each Jacobian becomes
     I + diag(f′) W⁽ˡ⁾, and the identity carries the gradient down unchanged even when
     the other term is small.
     <!-- output: ‖∂J/∂h(l)‖ through a stack -->
    */
    func residualConnections(seed: UInt64) -> ([String: Double], LinePlot) {
        let depth = 30, width = 32
        let plain = stackGradientNorms(depth: depth, width: width, residual: false, weightScale: residualWeightScale, seed: seed)
        let residual = stackGradientNorms(depth: depth, width: width, residual: true, weightScale: residualWeightScale, seed: seed)
        say("\n## ‖∂J/∂h(l)‖ through a stack of \(depth) tanh layers (width \(width)), J = r · h(\(depth)), r fixed")
        say("  | layer l | plain | with identity connections |")
        say("  |---:|---:|---:|")
        for l in stride(from: depth, through: 0, by: -5) {
            say("  | \(l) | \(formatScientific(plain[l])) | \(formatScientific(residual[l])) |")
        }
        say(String(format: "  at the input (l = 0), the plain stack passes back %@ of the gradient at the top; the residual stack %@",
                   formatScientific(plain[0] / plain[depth]), formatScientific(residual[0] / residual[depth])))
        let plot = LinePlot(
            title: "‖∂J/∂h(l)‖ in \(depth) tanh layers: h(l) = tanh(W h(l−1)) vs h(l) = h(l−1) + tanh(W h(l−1))",
            xLabel: "layer l", yLabel: "‖∂J/∂h(l)‖",
            series: [.init("plain", plain.enumerated().map { (Double($0.offset), $0.element) }),
                     .init("residual", residual.enumerated().map { (Double($0.offset), $0.element) })],
            logarithmicY: true)
        return (["plain": plain[0], "residual": residual[0]], plot)
    }
}
