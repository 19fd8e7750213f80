/// A named, trainable tensor that outlives any one forward pass: `ner.W`, `lstm.W`.
///
/// It is a value and a gradient. The gradient follows one rule: every use of the
/// parameter in a backward sweep adds its contribution,
/// ```
/// gradient += ∂loss/∂value (this use)
/// ```
/// so after a sweep it holds the sum over all uses (a weight shared by every time step
/// gets every step's share), until ``zeroGradient()`` starts the next batch from zero.
/// ``Tape/backward(from:)`` applies the rule through ``accumulate(_:)``.
///
/// Storing the gradient is the job of a ``GradientAccumulator``: the fast ops of the
/// language models hand it their contributions in cheaper forms (a product to be added
/// later, a few rows of an embedding table, work for another thread), and the
/// optimizers ask it which rows can be nonzero. None of that changes the sum; the
/// gradient checks compare it with finite differences.
public final class Parameter<Scalar: TensorScalar> {
    public let name: String
    public var value: Tensor<Scalar>
    /// Where the gradient is kept; see ``GradientAccumulator`` for the fast ways in.
    let accumulator: GradientAccumulator<Scalar>

    public init(_ name: String, _ value: Tensor<Scalar>) {
        self.name = name
        self.value = value
        self.accumulator = GradientAccumulator(name: name, shape: value.shape)
    }

    public var shape: [Int] { value.shape }

    /// ∂loss/∂value, summed over every use since the last ``zeroGradient()``.
    public var gradient: Tensor<Scalar> {
        get { accumulator.total }
        set {
            precondition(newValue.shape == value.shape, "\(name): gradient of shape \(newValue.shape) for a value of shape \(value.shape)")
            accumulator.replace(with: newValue)
        }
    }

    /// The rule: gradient += g (one use's contribution, the shape of the value).
    func accumulate(_ g: Tensor<Scalar>) {
        accumulator.add(g)
    }

    /// Sets the gradient to zero, ready for the next batch.
    public func zeroGradient() {
        accumulator.zero()
    }

    /// The rows of a matrix parameter that can have a nonzero gradient, sorted (an
    /// embedding table after a lookup); nil when any element can.
    public var touchedRows: [Int]? { accumulator.touchedRows }
}

extension Array {
    /// The number of scalars in a list of parameters.
    public func parameterCount<S>() -> Int where Element == Parameter<S> {
        reduce(0) { $0 + $1.value.count }
    }

    /// Sets every parameter's gradient to zero.
    public func zeroGradients<S>() where Element == Parameter<S> {
        forEach { $0.zeroGradient() }
    }
}
