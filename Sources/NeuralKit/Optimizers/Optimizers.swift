/// Optimizers, in increasing order of complexity. Each `step` reads every parameter's
/// accumulated gradient and updates its value in place; it does not zero the gradients
/// (call `zeroGradients()` on the parameter list after the step).
///
/// Embedding tables are updated lazily: only the rows the batch looked up (their
/// gradient is zero elsewhere). For SGD and Adagrad that is exactly the dense update; for
/// Adam it is the "lazy" variant of TensorFlow's LazyAdam and PyTorch's SparseAdam, in
/// which a row's moments decay only on the steps that use it.
public protocol Optimizer<Scalar> {
    associatedtype Scalar: TensorScalar
    mutating func step(_ parameters: [Parameter<Scalar>])
}

/// Plain stochastic gradient descent:
/// ```
/// θ ← θ − η g
/// ```
public struct SGD<Scalar: TensorScalar>: Optimizer {
    public var learningRate: Scalar

    public init(learningRate: Scalar) { self.learningRate = learningRate }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func step(_ parameters: [Parameter<Scalar>]) {
        let eta = learningRate
        for p in parameters {
            let gradient = p.gradient
            p.value.scalars.withUnsafeMutableBufferPointer { v in
                gradient.scalars.withUnsafeBufferPointer { g in
                    p.forEachUpdatedRangeInParallel { range in
                        for i in range { v[i] -= eta * g[i] }
                    }
                }
            }
        }
    }
}

/// Adagrad (Duchi et al. 2011): a per-coordinate step that shrinks with the sum of
/// squared past gradients; with `weightDecay` λ > 0, L2 regularization (the penalty
/// (λ/2)‖θ‖² added to the loss), as Grave et al. (2017) train their billion-word models:
/// ```
/// g ← g + λ θ;   G ← G + g²;   θ ← θ − η g / (√G + ε)
/// ```
/// Without decay an embedding table is updated only in the rows a batch used (the others
/// have g = 0: the same as the dense update). With decay every coordinate has a gradient,
/// so every parameter is updated whole.
public struct Adagrad<Scalar: TensorScalar>: Optimizer {
    public var learningRate: Scalar
    public var epsilon: Scalar
    public var weightDecay: Scalar
    private var accumulators: [ObjectIdentifier: [Scalar]] = [:]

    public init(learningRate: Scalar, epsilon: Scalar = 1e-8, weightDecay: Scalar = 0) {
        self.learningRate = learningRate
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func step(_ parameters: [Parameter<Scalar>]) {
        let eta = learningRate, eps = epsilon, lambda = weightDecay
        for p in parameters {
            var sumSquares = accumulators.removeValue(forKey: ObjectIdentifier(p))
                ?? [Scalar](repeating: 0, count: p.value.count)
            let gradient = p.gradient
            p.value.scalars.withUnsafeMutableBufferPointer { v in
                gradient.scalars.withUnsafeBufferPointer { g in
                    sumSquares.withUnsafeMutableBufferPointer { s in
                        func update(_ range: Range<Int>) {
                            for i in range {
                                let gi = lambda == 0 ? g[i] : g[i] + lambda * v[i]
                                guard gi != 0 else { continue }
                                s[i] += gi * gi
                                v[i] -= eta * gi / (s[i].squareRoot() + eps)
                            }
                        }
                        // with decay every element has a gradient; without, only the touched rows
                        if lambda != 0 { update(0..<v.count) } else { p.forEachUpdatedRangeInParallel(update) }
                    }
                }
            }
            accumulators[ObjectIdentifier(p)] = sumSquares
        }
    }
}

/// Adam (Kingma and Ba 2015), with bias-corrected moment estimates:
/// ```
/// m ← β₁ m + (1 − β₁) g;   v ← β₂ v + (1 − β₂) g²
/// m̂ = m / (1 − β₁ᵗ);       v̂ = v / (1 − β₂ᵗ)
/// θ ← θ − η m̂ / (√v̂ + ε)
/// ```
public struct Adam<Scalar: TensorScalar>: Optimizer {
    public var learningRate: Scalar
    public var beta1: Scalar
    public var beta2: Scalar
    public var epsilon: Scalar
    public private(set) var stepCount = 0
    private var moments: [ObjectIdentifier: (first: [Scalar], second: [Scalar])] = [:]

    public init(learningRate: Scalar = 1e-3, beta1: Scalar = 0.9, beta2: Scalar = 0.999, epsilon: Scalar = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func step(_ parameters: [Parameter<Scalar>]) {
        stepCount += 1
        let b1 = beta1, b2 = beta2, eps = epsilon, eta = learningRate
        // m̂ = m / c₁ and √v̂ = √v / √c₂: the corrections are folded into two constants.
        let inverseCorrection1 = 1 / (1 - pow(b1, stepCount))
        let inverseRootCorrection2 = 1 / (1 - pow(b2, stepCount)).squareRoot()
        for p in parameters {
            var (m, v) = moments.removeValue(forKey: ObjectIdentifier(p))
                ?? ([Scalar](repeating: 0, count: p.value.count), [Scalar](repeating: 0, count: p.value.count))
            let gradient = p.gradient
            p.value.scalars.withUnsafeMutableBufferPointer { theta in
                gradient.scalars.withUnsafeBufferPointer { g in
                    m.withUnsafeMutableBufferPointer { m in
                        v.withUnsafeMutableBufferPointer { v in
                            p.forEachUpdatedRangeInParallel { range in
                                // for i in range:
                                //   m[i] = b1 * m[i] + (1 - b1) * g[i]
                                //   v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                                //   theta[i] -= eta * (m[i] * inverseCorrection1)
                                //               / (v[i].squareRoot() * inverseRootCorrection2 + eps)
                                // in C, with the CPU's widest vectors (the same bits at any width).
                                Scalar.adamUpdate(
                                    theta: theta.baseAddress! + range.lowerBound, gradient: g.baseAddress! + range.lowerBound,
                                    first: m.baseAddress! + range.lowerBound, second: v.baseAddress! + range.lowerBound,
                                    count: range.count, beta1: b1, beta2: b2, inverseCorrection1: inverseCorrection1,
                                    inverseRootCorrection2: inverseRootCorrection2, learningRate: eta, epsilon: eps)
                            }
                        }
                    }
                }
            }
            moments[ObjectIdentifier(p)] = (m, v)
        }
    }

    /// m and v of `parameter`, nil before its first step (for checkpoints).
    public func moments(of parameter: Parameter<Scalar>) -> (first: [Scalar], second: [Scalar])? {
        moments[ObjectIdentifier(parameter)]
    }

    /// Puts back the state a checkpoint saved: the step count t (which the bias
    /// corrections depend on) and each parameter's m and v.
    public mutating func restore(stepCount: Int, moments saved: [(Parameter<Scalar>, first: [Scalar], second: [Scalar])]) {
        self.stepCount = stepCount
        moments = [:]
        for (parameter, first, second) in saved { moments[ObjectIdentifier(parameter)] = (first, second) }
    }

    private func pow(_ base: Scalar, _ exponent: Int) -> Scalar {
        var result: Scalar = 1
        for _ in 0..<exponent { result *= base }
        return result
    }
}

/// Gradient-norm clipping, exactly as Pascanu, Mikolov and Bengio (2013), Algorithm 1:
/// ```
/// ĝ ← gradient of all parameters together
/// if ‖ĝ‖ ≥ threshold:  ĝ ← (threshold / ‖ĝ‖) ĝ
/// ```
/// The direction is kept; only the length is capped. Returns ‖ĝ‖ before clipping.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
@discardableResult
public func clipGradientNorm<Scalar>(_ parameters: [Parameter<Scalar>], threshold: Double) -> Double {
    // BEGIN SOLUTION ch6-clipping
    var squares = 0.0
    for p in parameters {
        let gradient = p.gradient
        gradient.scalars.withUnsafeBufferPointer { g in
            p.forEachUpdatedRange { range in  // (an embedding's untouched rows are zero)
                squares += g.sumOfSquares(range)
            }
        }
    }
    let norm = squares.squareRoot()
    if norm >= threshold && norm > 0 {
        let scale = Scalar(threshold / norm)
        for p in parameters { p.scaleGradient(by: scale) }
    }
    return norm
    // END SOLUTION
}

/// ‖ĝ‖ of all parameters' gradients together, read element by element over every
/// parameter's whole gradient (no row is assumed to be zero): how a training loop
/// measures the gradient that clipping left, independently of ``clipGradientNorm(_:threshold:)``.
public func gradientNorm<Scalar>(_ parameters: [Parameter<Scalar>]) -> Double {
    var squares = 0.0
    for p in parameters {
        let gradient = p.gradient
        gradient.scalars.withUnsafeBufferPointer { g in squares += g.sumOfSquares(0..<g.count) }
    }
    return squares.squareRoot()
}
