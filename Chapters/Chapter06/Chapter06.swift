import ArgumentParser
import ChapterKit
import FigureKit
import Foundation
import NeuralKit
import RecurrentLM
import TextData

// Reading order: Gradients.swift, Explosion.swift, CommandLine.swift

/*: # Chapter 6 · Vanishing and exploding gradients

 Training an RNN moves each weight along ∂J/∂θ, and the gradient of a loss at step T
 reaches an earlier hidden state h⁽ᵏ⁾ only through every step in between. The chain rule
 makes that a *product*:

 $$
 \begin{aligned}
 \frac{\partial J^{(T)}}{\partial h^{(k)}} &= \frac{\partial J^{(T)}}{\partial h^{(T)}} \cdot \frac{\partial h^{(T)}}{\partial h^{(T-1)}} \cdots \frac{\partial h^{(k+1)}}{\partial h^{(k)}}, \\
 \frac{\partial h^{(t)}}{\partial h^{(t-1)}} &= \operatorname{diag}\big(\sigma'(a^{(t)})\big)\, W_h && a^{(t)} = W_h h^{(t-1)} + W_e e^{(t)} + b_1
 \end{aligned}
 $$

 Each factor has norm at most ‖W_h‖ · max σ′ = σ_max(W_h) · γ (γ = 1 for tanh, ¼ for the
 logistic), so over a distance of T − k steps the gradient can shrink or grow
 geometrically. This chapter checks the product against backpropagation, measures the
 rate, shows an explosion and the clipping that tames it, and shows how identity
 (residual) connections keep a gradient alive through depth.
 <!-- output: (opening) -->
*/
/// What Chapter 6 computes and prints, in order; its options are in CommandLine.swift.
extension Chapter06 {
    static let title = "Chapter 6 · Vanishing and exploding gradients"

    func story(_ results: inout Results) throws {
        results.chainRuleDifference = chainRule(seed: options.seed)
        let (decay, plot) = normsByDistance(seed: options.seed)
        results.measuredRates = decay.measured
        results.rateBounds = decay.bounds
        results.decayRate = decay.measured["sigma_0.8"] ?? 0
        results.singularValueBound = decay.bounds["sigma_0.8"] ?? 0
        say("Figure: " + (try plot.write(to: figures, name: "chapter06-gradient-norm-by-distance")).relativePath)
        results.explosion = try explodingInPractice(seed: options.seed)
        let (residual, residualPlot) = residualConnections(seed: options.seed)
        results.firstLayerGradient = residual
        say("Figure: " + (try residualPlot.write(to: figures, name: "chapter06-residual-depth")).relativePath)
    }

    /*: ## ∂J⁽⁴⁾/∂h⁽¹⁾, two ways

     A tiny RNN (H = 3) reads four words; J⁽⁴⁾ is the cross-entropy of its prediction at
     step 4. Backpropagation gives ∂J⁽⁴⁾/∂h⁽¹⁾ from the tape; the same vector comes out of
     writing the three Jacobians ∂h⁽ᵗ⁾/∂h⁽ᵗ⁻¹⁾ = diag(1 − h⁽ᵗ⁾²) W_h explicitly and
     multiplying them onto ∂J⁽⁴⁾/∂h⁽⁴⁾ = Uᵀ(ŷ⁽⁴⁾ − y⁽⁴⁾).
     <!-- output: ∂J(4)/∂h(1) -->
    */
    func chainRule(seed: UInt64) -> Double {
        let rnn = smallRNN(hiddenSize: 3, steps: 4, inputScale: 1, weightScale: 1.5, seed: seed)
        let backprop = rnn.gradientsByBackpropagation()[0]
        let (product, jacobians) = rnn.gradientByJacobianProduct()
        say("## ∂J(4)/∂h(1) for an RNN with H = 3")
        for (i, jacobian) in jacobians.reversed().enumerated() {
            let rows = (0..<3).map { r in (0..<3).map { String(format: "%7.4f", jacobian[r * 3 + $0]) }.joined(separator: " ") }
            say("  ∂h(\(i + 2))/∂h(\(i + 1)) = [" + rows.joined(separator: " ; ") + "]")
        }
        say("  product of Jacobians: " + product.map { String(format: "%+.10f", $0) }.joined(separator: "  "))
        say("  backpropagation:      " + backprop.map { String(format: "%+.10f", $0) }.joined(separator: "  "))
        let difference = zip(product, backprop).map { abs($0 - $1) }.max()!
        say("  largest difference: \(formatScientific(difference))")
        return difference
    }

    /*: ## How fast the gradient shrinks or grows

     An RNN with H = 32 and W_h = σ·Q, Q a random orthogonal matrix (so every singular
     value of W_h is σ, and σ_max = σ), reads T small inputs. The backward sweep gives
     ‖∂J⁽ᵀ⁾/∂h⁽ᵏ⁾‖ for every k at once; the rate per step is fitted to the logarithms, and
     the bound is σ_max(W_h) · max σ′ along the run.
     <!-- output: ‖∂J(T)/∂h(k)‖ -->
    */
    func normsByDistance(seed: UInt64) -> (rates: (measured: [String: Double], bounds: [String: Double]), plot: LinePlot) {
        say("\n## ‖∂J(T)/∂h(k)‖ against the distance T − k (H = \(hiddenSize), T = \(steps), tanh)")
        var measured: [String: Double] = [:], bounds: [String: Double] = [:]
        var series: [LinePlot.Series] = []
        var columns: [[Double]] = []
        for sigma in [0.8, 1.2] {
            let rnn = smallRNN(hiddenSize: hiddenSize, steps: steps, inputScale: inputScale, weightScale: sigma, seed: seed, orthogonal: true)
            let norms = rnn.gradientsByBackpropagation().map(norm)
            let rate = geometricRate(norms)
            let sigmaMax = Matrix.largestSingularValue(rnn.cell.recurrentWeight.value.scalars, columns: hiddenSize)
            let largestSlope = largestTanhDerivative(rnn)
            let bound = sigmaMax * largestSlope
            let name = String(format: "sigma_%.1f", sigma)
            measured[name] = rate
            bounds[name] = bound
            say(String(format: "  σ_max(W_h) = %.4f, max tanh′ = %.4f: measured rate %.4f per step, bound %.4f → %@",
                       sigmaMax, largestSlope, rate, bound, rate < 1 ? "vanishes" : "explodes"))
            let distances = norms.indices.map { Double(norms.count - 1 - $0) }
            series.append(.init(String(format: "σ = %.1f: measured", sigma), Array(zip(distances, norms)).reversed()))
            series.append(.init(String(format: "σ = %.1f: bound", sigma),
                                distances.reversed().map { ($0, norms.last! * ExactMath.exp($0 * ExactMath.log(bound))) }))
            columns.append(norms)
        }
        say("  | T − k | σ = 0.8 | σ = 1.2 |")
        say("  |---:|---:|---:|")
        for distance in stride(from: 0, to: steps, by: 5) {
            let k = steps - 1 - distance
            say("  | \(distance) | \(formatScientific(columns[0][k])) | \(formatScientific(columns[1][k])) |")
        }
        let plot = LinePlot(title: "‖∂J(T)/∂h(k)‖ against distance T − k, W_h = σQ (bound: ‖∂J/∂h(T)‖ (σ_max γ)^(T−k))",
                            xLabel: "distance T − k (steps)", yLabel: "gradient norm (log scale)", series: series, logarithmicY: true)
        return ((measured, bounds), plot)
    }

    func smallRNN(hiddenSize: Int, steps: Int, inputScale: Double, weightScale: Double, seed: UInt64,
                  orthogonal: Bool = false) -> SmallRNN {
        var generator = SeededGenerator(seed: seed)
        let cell = RNNCell<Double>(inputSize: 4, hiddenSize: hiddenSize, name: "rnn", using: &generator)
        if orthogonal {
            cell.recurrentWeight.value = Tensor(shape: [hiddenSize, hiddenSize],
                                                scalars: Matrix.orthogonal(hiddenSize, using: &generator).map { $0 * weightScale })
        } else {
            cell.recurrentWeight.value = .uniform([hiddenSize, hiddenSize], bound: weightScale / Double(hiddenSize).squareRoot(),
                                                  using: &generator)
        }
        cell.inputWeight.value = .uniform([hiddenSize, 4], bound: 1, using: &generator)
        let readout = Linear<Double>(inputSize: hiddenSize, outputSize: 5, name: "out", using: &generator)
        let inputs = (0..<steps).map { _ in Tensor<Double>.uniform([1, 4], bound: inputScale, using: &generator) }
        return SmallRNN(cell: cell, readout: readout, inputs: inputs, target: 2)
    }

    func largestTanhDerivative(_ rnn: SmallRNN) -> Double {
        let tape = Tape<Double>()
        let states = rnn.unroll(on: tape).states
        return states.flatMap { $0.value.scalars.map { 1 - $0 * $0 } }.max() ?? 1
    }
}

// book: details What --json FILE writes
/// What `--json FILE` writes.
struct Results: Encodable {
    /// The measured per-step rate for W_h = 0.8 Q, and its bound σ_max(W_h) · max tanh′.
    var decayRate = 0.0
    var singularValueBound = 0.0
    var chainRuleDifference = 0.0
    var measuredRates: [String: Double] = [:]
    var rateBounds: [String: Double] = [:]
    var explosion = ExplosionResult()
    var firstLayerGradient: [String: Double] = [:]
    var seconds = 0.0
}
