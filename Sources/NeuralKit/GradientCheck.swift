/// The largest relative error between the backward pass and central finite differences,
/// for each parameter, in Double.
///
/// For every element θ_i of every parameter:
/// ```
/// numeric_i  = (J(θ + h e_i) − J(θ − h e_i)) / 2h
/// relative_i = |analytic_i − numeric_i| / max(|analytic_i|, |numeric_i|)
/// ```
/// Where both derivatives are below `1e-10` in magnitude the absolute difference is used
/// instead (a ratio of two roundoff errors means nothing). The truncation error of the
/// central difference is O(h²); with h = 1e-5 in Double it is far below 1e-6 for smooth
/// functions. ReLU's kink must not lie within h of an input.
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
        for i in p.value.scalars.indices {
            let original = p.value.scalars[i]
            p.value.scalars[i] = original + h
            let plus = evaluate()
            p.value.scalars[i] = original - h
            let minus = evaluate()
            p.value.scalars[i] = original
            let numeric = (plus - minus) / (2 * h)
            let a = grad.scalars[i]
            let scale = max(abs(a), abs(numeric))
            let error = scale < 1e-10 ? abs(a - numeric) : abs(a - numeric) / scale
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
