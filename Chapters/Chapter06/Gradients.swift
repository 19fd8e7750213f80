import Foundation
import NeuralKit

/// Small linear algebra for the chapter, on (n × n) matrices stored row-major in Double.
enum Matrix {
    /// A random orthogonal matrix (Gram–Schmidt on Gaussian columns): every singular value
    /// is 1 and every eigenvalue has modulus 1, so σ·Q has spectral radius = σ_max = σ.
    static func orthogonal(_ n: Int, using generator: inout SeededGenerator) -> [Double] {
        var columns: [[Double]] = []
        while columns.count < n {
            var v = (0..<n).map { _ in generator.normal() }
            for q in columns {
                let dot = zip(v, q).reduce(0) { $0 + $1.0 * $1.1 }
                for i in 0..<n { v[i] -= dot * q[i] }
            }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm > 1e-8 { columns.append(v.map { $0 / norm }) }
        }
        var m = [Double](repeating: 0, count: n * n)
        for (j, q) in columns.enumerated() { for i in 0..<n { m[i * n + j] = q[i] } }
        return m
    }

    /// y = M x.
    static func apply(_ m: [Double], _ x: [Double]) -> [Double] {
        let n = x.count
        return (0..<(m.count / n)).map { i in (0..<n).reduce(0) { $0 + m[i * n + $1] * x[$1] } }
    }

    /// y = Mᵀ x.
    static func applyTransposed(_ m: [Double], _ x: [Double]) -> [Double] {
        let rows = x.count, n = m.count / rows
        return (0..<n).map { j in (0..<rows).reduce(0) { $0 + m[$1 * n + j] * x[$1] } }
    }

    /// The largest singular value, by power iteration on MᵀM.
    static func largestSingularValue(_ m: [Double], columns n: Int, iterations: Int = 500) -> Double {
        var v = [Double](repeating: 1 / Double(n).squareRoot(), count: n)
        var sigma = 0.0
        for _ in 0..<iterations {
            let w = applyTransposed(m, apply(m, v))
            let norm = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard norm > 0 else { return 0 }
            v = w.map { $0 / norm }
            sigma = norm.squareRoot()
        }
        return sigma
    }
}

func norm(_ x: [Double]) -> Double { x.reduce(0) { $0 + $1 * $1 }.squareRoot() }

/// A plain RNN in Double, h(t) = tanh(W_h h(t−1) + W_e e(t) + b₁), with a softmax
/// read-out ŷ(t) = softmax(U h(t) + b₂), for measuring gradients (no training here).
struct SmallRNN {
    let cell: RNNCell<Double>
    let readout: Linear<Double>
    let inputs: [Tensor<Double>]  // e(1) … e(T), each (1 × d)
    let target: Int               // the word J(T) scores at the last step

    /// Unrolls T = inputs.count steps on `tape` from h(0) = 0 and returns every h(t) and
    /// J(T) = −log ŷ(T)[target], the loss at the last step only.
    func unroll(on tape: Tape<Double>) -> (states: [Variable<Double>], loss: Variable<Double>) {
        var h = tape.input(.zeros([1, cell.hiddenSize]), name: "h(0)")
        var states: [Variable<Double>] = []
        for (t, e) in inputs.enumerated() {
            h = cell(tape.input(e, name: "e(\(t + 1))"), state: HiddenState(hidden: h)).hidden
            states.append(h)
        }
        return (states, softmaxCrossEntropy(logits: readout(h), labels: [target]))
    }

    /// ∂J(T)/∂h(k) for k = 1 … T, by backpropagation.
    func gradientsByBackpropagation() -> [[Double]] {
        let tape = Tape<Double>()
        let (states, loss) = unroll(on: tape)
        tape.backward(from: loss)
        return states.map { tape.gradient(of: $0)?.scalars ?? [Double](repeating: 0, count: cell.hiddenSize) }
    }

    /// ∂J(T)/∂h(1) by the chain rule written out: ∂J/∂h(T) = Uᵀ(ŷ − y), then, for
    /// t = T … 2, multiply by the Jacobian ∂h(t)/∂h(t−1) = diag(1 − h(t)²) W_h (as a row
    /// vector times the matrix: gᵀ J). Returns the gradient and the Jacobians used.
    func gradientByJacobianProduct() -> (gradient: [Double], jacobians: [[Double]]) {
        let tape = Tape<Double>()
        let (states, _) = unroll(on: tape)
        let n = cell.hiddenSize
        let hT = states.last!.value
        let probabilities = softmax(readout(tape.input(hT, name: "h"))).value.scalars
        var dLogits = probabilities
        dLogits[target] -= 1
        var g = Matrix.applyTransposed(readout.weight.value.scalars, dLogits)  // Uᵀ (ŷ − y)
        let w = cell.recurrentWeight.value.scalars
        var jacobians: [[Double]] = []
        for t in stride(from: states.count - 1, through: 1, by: -1) {
            let h = states[t].value.scalars
            var jacobian = [Double](repeating: 0, count: n * n)
            for i in 0..<n { for j in 0..<n { jacobian[i * n + j] = (1 - h[i] * h[i]) * w[i * n + j] } }
            jacobians.append(jacobian)
            g = Matrix.applyTransposed(jacobian, g)
        }
        return (g, jacobians)
    }
}

/// Least-squares slope of log ‖g‖ against the distance T − k, as a per-step factor:
/// the measured rate r in ‖∂J(T)/∂h(k)‖ ≈ C · r^(T−k).
func geometricRate(_ norms: [Double]) -> Double {
    let points = norms.reversed().enumerated().map { (Double($0.offset), ExactMath.log($0.element)) }
    let n = Double(points.count)
    let mx = points.reduce(0) { $0 + $1.0 } / n, my = points.reduce(0) { $0 + $1.1 } / n
    let sxy = points.reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }, sxx = points.reduce(0) { $0 + ($1.0 - mx) * ($1.0 - mx) }
    return ExactMath.exp(sxy / sxx)
}

/// One layer of the stack below: tanh(W h) for rows h, plus h itself with the identity
/// (skip) connection. (A test checks its Jacobian, I + diag(1 − tanh²) W, by hand.)
func stackLayer(_ h: Variable<Double>, _ w: Variable<Double>, residual: Bool) -> Variable<Double> {
    let f = tanh(matmul(h, w, transposeRight: true))
    return residual ? h + f : f
}

/// A stack of `depth` layers h(l) = tanh(W(l) h(l−1)), or with an identity (skip)
/// connection h(l) = h(l−1) + tanh(W(l) h(l−1)); returns ‖∂J/∂h(l)‖ for l = 0 … depth,
/// where J = r · h(depth) for a fixed random r, so both stacks start the backward sweep
/// from the same gradient r.
func stackGradientNorms(depth: Int, width: Int, residual: Bool, weightScale: Double, seed: UInt64) -> [Double] {
    var generator = SeededGenerator(seed: seed)
    let tape = Tape<Double>()
    var h = tape.input(.uniform([1, width], bound: 1, using: &generator), name: "h(0)")
    var layers = [h]
    for l in 1...depth {
        let w = tape.input(.normal([width, width], standardDeviation: weightScale / Double(width).squareRoot(), using: &generator),
                           name: "W(\(l))")
        h = stackLayer(h, w, residual: residual)
        layers.append(h)
    }
    let r = tape.input(.uniform([1, width], bound: 1, using: &generator), name: "r")
    let loss = sum(h * r)  // ∂J/∂h(depth) = r, the same for both stacks
    tape.backward(from: loss)
    return layers.map { tape.gradient(of: $0)?.norm ?? 0 }
}
