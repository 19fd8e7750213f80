/// Optimizers, in increasing order of complexity. Each `step` reads every parameter's
/// accumulated gradient and updates its value in place; it does not zero the gradients
/// (call `zeroGradients()` on the parameter list after the step).
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
            p.value.scalars.withUnsafeMutableBufferPointer { v in
                p.gradient.scalars.withUnsafeBufferPointer { g in
                    for i in v.indices { v[i] -= eta * g[i] }
                }
            }
        }
    }
}

/// Adagrad (Duchi et al. 2011): a per-coordinate step that shrinks with the sum of
/// squared past gradients.
/// ```
/// G ← G + g²;   θ ← θ − η g / (√G + ε)
/// ```
public struct Adagrad<Scalar: TensorScalar>: Optimizer {
    public var learningRate: Scalar
    public var epsilon: Scalar
    private var accumulators: [ObjectIdentifier: [Scalar]] = [:]

    public init(learningRate: Scalar, epsilon: Scalar = 1e-8) {
        self.learningRate = learningRate
        self.epsilon = epsilon
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func step(_ parameters: [Parameter<Scalar>]) {
        let eta = learningRate, eps = epsilon
        for p in parameters {
            var sumSquares = accumulators.removeValue(forKey: ObjectIdentifier(p))
                ?? [Scalar](repeating: 0, count: p.value.count)
            p.value.scalars.withUnsafeMutableBufferPointer { v in
                p.gradient.scalars.withUnsafeBufferPointer { g in
                    sumSquares.withUnsafeMutableBufferPointer { s in
                        for i in v.indices where g[i] != 0 {
                            s[i] += g[i] * g[i]
                            v[i] -= eta * g[i] / (Scalar.sqrt(s[i]) + eps)
                        }
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
        let correction1 = 1 - pow(b1, stepCount)
        let correction2 = 1 - pow(b2, stepCount)
        for p in parameters {
            var (m, v) = moments.removeValue(forKey: ObjectIdentifier(p))
                ?? ([Scalar](repeating: 0, count: p.value.count), [Scalar](repeating: 0, count: p.value.count))
            p.value.scalars.withUnsafeMutableBufferPointer { theta in
                p.gradient.scalars.withUnsafeBufferPointer { g in
                    m.withUnsafeMutableBufferPointer { m in
                        v.withUnsafeMutableBufferPointer { v in
                            for i in theta.indices {
                                m[i] = b1 * m[i] + (1 - b1) * g[i]
                                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i]
                                let mHat = m[i] / correction1
                                let vHat = v[i] / correction2
                                theta[i] -= eta * mHat / (Scalar.sqrt(vHat) + eps)
                            }
                        }
                    }
                }
            }
            moments[ObjectIdentifier(p)] = (m, v)
        }
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
    var squares = 0.0
    for p in parameters { for g in p.gradient.scalars { squares += Double(g) * Double(g) } }
    let norm = squares.squareRoot()
    if norm >= threshold && norm > 0 {
        let scale = Scalar(threshold / norm)
        for p in parameters {
            p.gradient.scalars.withUnsafeMutableBufferPointer { g in
                for i in g.indices { g[i] *= scale }
            }
        }
    }
    return norm
}
