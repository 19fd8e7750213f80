/// The largest relative error between the backward pass and central finite differences,
/// for each parameter, in Double.
///
/// For every element θ_i of every parameter:
/// ```
/// numeric_i  = (J(θ + h e_i) − J(θ − h e_i)) / 2h
/// relative_i = |analytic_i − numeric_i| / max(|analytic_i|, |numeric_i|, 10⁻³ · max_j |analytic_j|)
/// ```
/// Each element is measured against its own size, except that entries a thousand times
/// smaller than the tensor's largest gradient are measured against that thousandth: the
/// central difference carries a roundoff of about ε·|J|/h ≈ 1e-11 in Double, which would
/// otherwise swamp the ratio for near-zero entries. The truncation error is O(h²), far
/// below 1e-6 with h = 1e-5 for smooth functions. ReLU's kink must not lie within h of an
/// input. An exactly zero gradient must be matched by an exactly unchanged J.
public struct GradientCheckResult: Sendable, CustomStringConvertible {
    /// (parameter name, largest relative error over its elements), in the order given.
    public let errors: [(name: String, relativeError: Double)]

    public var maxRelativeError: Double { errors.map(\.relativeError).max() ?? 0 }

    public var description: String {
        errors.map { "\($0.name): \(formatScientific($0.relativeError))" }.joined(separator: "\n")
    }
}

/// Checks the gradients that `loss` computes for `parameters` (see ``GradientCheckResult``).
/// `loss` builds the scalar on the tape it is given, reading the parameters' current values.
public func gradientCheck(
    _ parameters: [Parameter<Double>], step h: Double = 1e-5,
    loss: (Tape<Double>) -> Variable<Double>
) -> GradientCheckResult {
    parameters.zeroGradients()
    let tape = Tape<Double>()
    tape.backward(from: loss(tape))
    let analytic = parameters.map(\.gradient)

    func evaluate() -> Double { loss(Tape<Double>()).value.scalar }

    var errors: [(String, Double)] = []
    for (p, grad) in zip(parameters, analytic) {
        var worst = 0.0
        let floor = max(1e-3 * grad.scalars.reduce(0) { max($0, abs($1)) }, 1e-300)
        for i in p.value.scalars.indices {
            let original = p.value.scalars[i]
            p.value.scalars[i] = original + h
            let plus = evaluate()
            p.value.scalars[i] = original - h
            let minus = evaluate()
            p.value.scalars[i] = original
            let numeric = (plus - minus) / (2 * h)
            let a = grad.scalars[i]
            let error = abs(a - numeric) / max(abs(a), abs(numeric), floor)
            worst = max(worst, error)
        }
        errors.append((p.name, worst))
    }
    parameters.zeroGradients()
    return GradientCheckResult(errors: errors)
}

/// `1.23e-09`: scientific notation with three significant digits.
public func formatScientific(_ x: Double) -> String { String(format: "%.2e", x) }

import Foundation
