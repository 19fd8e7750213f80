/// Something with named, trainable parameters.
public protocol Layer<Scalar> {
    associatedtype Scalar: TensorScalar
    var parameters: [Parameter<Scalar>] { get }
}

/// A table of word vectors: row i is the embedding of word i.
/// ```
/// E ∈ R^(vocabularySize × embeddingSize);  embed(ids) = [E[id₁]; E[id₂]; …]
/// ```
/// Shape: ids (B) → (B × embeddingSize).
public struct Embedding<Scalar: TensorScalar>: Layer {
    public let table: Parameter<Scalar>

    /// Initialized uniformly in [−bound, bound] (default 0.1).
    public init(
        vocabularySize: Int, embeddingSize: Int, name: String, bound: Double = 0.1,
        using generator: inout SeededGenerator
    ) {
        table = Parameter(
            "\(name).E", .uniform([vocabularySize, embeddingSize], bound: bound, using: &generator))
    }

    public init(table: Parameter<Scalar>) { self.table = table }

    public var vocabularySize: Int { table.shape[0] }
    public var embeddingSize: Int { table.shape[1] }
    public var parameters: [Parameter<Scalar>] { [table] }

    /// The rows of `ids`; `label` names the lookup on the tape (and in figures).
    public func callAsFunction(_ ids: [Int], on tape: Tape<Scalar>, label: String = "gather") -> Variable<Scalar> {
        gather(tape.parameter(table), rows: ids, label: label)
    }
}

/// An affine map, written as the slides write it:
/// ```
/// y = W x + b,   W ∈ R^(outputSize × inputSize),  b ∈ R^(outputSize)
/// ```
/// Shape: (B × inputSize) → (B × outputSize); each row is one x. A nil `bias` means no bias.
public struct Linear<Scalar: TensorScalar>: Layer {
    public let weight: Parameter<Scalar>
    public let bias: Parameter<Scalar>?

    /// Glorot-uniform weights, zero bias.
    public init(
        inputSize: Int, outputSize: Int, name: String, bias: Bool = true,
        using generator: inout SeededGenerator
    ) {
        weight = Parameter("\(name).W", .glorot([outputSize, inputSize], using: &generator))
        self.bias = bias ? Parameter("\(name).b", .zeros([outputSize])) : nil
    }

    public init(weight: Parameter<Scalar>, bias: Parameter<Scalar>?) {
        self.weight = weight
        self.bias = bias
    }

    public var inputSize: Int { weight.shape[1] }
    public var outputSize: Int { weight.shape[0] }
    public var parameters: [Parameter<Scalar>] { [weight] + (bias.map { [$0] } ?? []) }

    public func callAsFunction(_ x: Variable<Scalar>) -> Variable<Scalar> {
        let product = matmul(x, x.tape.parameter(weight), transposeRight: true)
        guard let bias else { return product }
        return product + x.tape.parameter(bias)
    }
}
