import NeuralKit
import TextData

/// A recurrent language model: embeddings, one or more recurrent layers, and a softmax
/// over the vocabulary at every step.
/// ```
/// e(t) = E[x(t)];   h(t) = cell(e(t), h(t−1));   ŷ(t) = softmax(U h(t) + b₂)
/// ```
/// With a plain ``RNNCell`` this is the model of Chapter 5; with an LSTM or GRU cell,
/// Chapters 7 and 8. Stacked layers feed each layer's h(t) to the next as its input.
/// Parameters: `name.E` (|V| × d), the cells', `name.U` (|V| × H), `name.b2` (|V|); with
/// an adaptive softmax (Chapter 7's billion-word section) the output layer's are
/// `name.out.head.W` … instead of U and b₂.
public struct RecurrentLanguageModel<Cell: RecurrentCell>: Layer {
    public typealias Scalar = Cell.Scalar
    public let embedding: Embedding<Scalar>
    public let layers: [Cell]
    public let outputLayer: OutputLayer

    /// What turns h(t) into a distribution over the next word.
    public enum OutputLayer {
        /// ŷ = softmax(U h + b₂): one score per vocabulary word, the slides' model.
        case full(Linear<Scalar>)
        /// The adaptive softmax (Grave et al. 2017): a head of frequent words and clusters
        /// of rarer ones (``AdaptiveSoftmax``).
        case adaptive(AdaptiveSoftmax<Scalar>)

        public var parameters: [Parameter<Scalar>] {
            switch self {
            case .full(let layer): return layer.parameters
            case .adaptive(let layer): return layer.parameters
            }
        }

        /// The mean cross-entropy of h's rows (N × H) against `targets`, as the equations
        /// read (the step-by-step unrolling's J(t)).
        func loss(_ h: Variable<Scalar>, targets: [Int]) -> Variable<Scalar> {
            switch self {
            case .full(let output): return softmaxCrossEntropy(logits: output(h), labels: targets)
            case .adaptive(let output): return output.loss(h, targets: targets)
            }
        }

        /// The same as one fused op, for every step's h(t) at once; a target of −1 marks a
        /// padding row, which counts for nothing.
        func fusedLoss(_ h: Variable<Scalar>, targets: [Int]) -> Variable<Scalar> {
            switch self {
            case .full(let output):
                let tape = h.tape
                return linearSoftmaxCrossEntropy(h, weight: tape.parameter(output.weight),
                                                 bias: output.bias.map(tape.parameter), labels: targets)
            case .adaptive(let output):
                guard targets.contains(where: { $0 < 0 }) else { return output.fusedLoss(h, targets: targets) }
                let rows = targets.indices.filter { targets[$0] >= 0 }
                return output.fusedLoss(gather(h, rows: rows, label: "rows with a target"), targets: rows.map { targets[$0] })
            }
        }

        /// The distribution over the next word for each row of h (B × H).
        func distribution(after h: Tensor<Scalar>) -> Tensor<Scalar> {
            switch self {
            case .full(let output):
                let tape = Tape<Scalar>()
                return softmax(output(tape.input(h, name: "h"))).value
            case .adaptive(let output):
                let logP = output.logProbabilities(h)
                return Tensor(shape: logP.shape, scalars: logP.scalars.map { Scalar.exp($0) })
            }
        }
    }

    /// U and b₂ of the full softmax. (A model built with an adaptive softmax has none:
    /// asking is a programming error.)
    public var output: Linear<Scalar> {
        guard case .full(let layer) = outputLayer else {
            preconditionFailure("RecurrentLanguageModel: this model's output layer is an adaptive softmax")
        }
        return layer
    }
    /// How each layer's recurrence runs over a window in the batched unrolling:
    /// ``WindowRun/wholeWindow`` (the default: the cell's whole-window kernel,
    /// ``RNNWindowKernel``, ``LSTMWindowKernel`` or ``GRUWindowKernel``, one op per layer) or
    /// ``WindowRun/stepByStep`` (the cell's readable `step` T times). The same numbers
    /// either way, bit for bit; the kernel is faster.
    public var recurrence: WindowRun = .wholeWindow

    /// How a window of steps is unrolled on the tape. Both compute the same numbers
    /// (a test checks values and gradients); they differ in how many ops they record.
    public enum Unrolling: Sendable {
        /// The slides' picture, one step at a time: e(t), h(t), ŷ(t) and J(t) for each t,
        /// then J = the mean of the J(t). For figures and as the reference.
        case stepByStep
        /// Every step's embeddings and input products at once (one product per layer),
        /// the recurrence as ``RecurrentLanguageModel/recurrence`` says, then every step's output layer and loss as one
        /// fused op (``linearSoftmaxCrossEntropy(_:weight:bias:labels:)``). For training.
        case batched
    }

    /// Builds the model around `layers` (the first takes inputs of the embedding size,
    /// each next one the previous one's hidden size). Embeddings uniform in ±0.1, U
    /// uniform in ±1/√H, b₂ zero. With `adaptiveSoftmaxCutoffs` (word ids are ordered by
    /// training frequency, as ``Vocabulary`` numbers them), the output layer is an adaptive
    /// softmax with those cutoffs instead.
    public init(vocabularySize: Int, embeddingSize: Int, layers: [Cell], name: String,
                adaptiveSoftmaxCutoffs: [Int]? = nil, using generator: inout SeededGenerator) {
        precondition(!layers.isEmpty, "RecurrentLanguageModel: needs at least one layer")
        precondition(layers[0].inputSize == embeddingSize, "RecurrentLanguageModel: first layer takes \(layers[0].inputSize), embeddings are \(embeddingSize)")
        for (below, above) in zip(layers, layers.dropFirst()) {
            precondition(above.inputSize == below.hiddenSize, "RecurrentLanguageModel: layer sizes do not chain")
        }
        embedding = Embedding(vocabularySize: vocabularySize, embeddingSize: embeddingSize, name: name, using: &generator)
        self.layers = layers
        let hidden = layers.last!.hiddenSize
        let bound = 1 / Double(hidden).squareRoot()
        if let cutoffs = adaptiveSoftmaxCutoffs {
            outputLayer = .adaptive(AdaptiveSoftmax(inputSize: hidden, vocabularySize: vocabularySize, cutoffs: cutoffs,
                                                    name: "\(name).out", using: &generator))
        } else {
            outputLayer = .full(Linear(weight: Parameter("\(name).U", .uniform([vocabularySize, hidden], bound: bound, using: &generator)),
                                       bias: Parameter("\(name).b2", .zeros([vocabularySize]))))
        }
    }

    public var vocabularySize: Int { embedding.vocabularySize }
    public var hiddenSize: Int { layers.last!.hiddenSize }
    public var parameters: [Parameter<Scalar>] { embedding.parameters + layers.flatMap(\.parameters) + outputLayer.parameters }

    /// The state every layer starts from: zeros.
    public func zeroState(batchSize: Int) -> [[Tensor<Scalar>]] {
        layers.map { $0.zeroState(batchSize: batchSize) }
    }

    /// Runs the layers over `inputs` (time-major: `inputs[t][b]`) from `state`, and returns
    /// the top layer's h(t) for every step, stacked (step t in rows t·B ..< (t+1)·B), and
    /// every layer's final state.
    public func hiddenStates(
        _ inputs: [[Int]], from state: [[Tensor<Scalar>]], on tape: Tape<Scalar>
    ) -> (outputs: Variable<Scalar>, state: [[Variable<Scalar>]]) {
        var unused = SeededGenerator(seed: 0)
        return hiddenStates(inputs, from: state, on: tape, dropout: 0, using: &unused)
    }

    /// The same, with dropout at `dropout` on every non-recurrent connection (the
    /// embeddings going in, each layer's h(t) going up), as Zaremba et al. (2014) apply
    /// it; the recurrent connections are left alone. For training only.
    public func hiddenStates(
        _ inputs: [[Int]], from state: [[Tensor<Scalar>]], on tape: Tape<Scalar>, dropout rate: Double,
        using generator: inout SeededGenerator
    ) -> (outputs: Variable<Scalar>, state: [[Variable<Scalar>]]) {
        let steps = inputs.count, batch = inputs.first?.count ?? 0
        precondition(steps > 0 && batch > 0, "RecurrentLanguageModel: no input")
        var below = dropout(embedding(inputs.flatMap { $0 }, on: tape), rate: rate, using: &generator)
        var finalState: [[Variable<Scalar>]] = []
        for (l, cell) in layers.enumerated() {
            let (outputs, current) = cell.window(projected: cell.projectInputs(below), steps: steps,
                                                 state: cell.state(state[l], on: tape), run: recurrence)
            below = dropout(outputs, rate: rate, using: &generator)
            finalState.append(current.tensors)
        }
        return (below, finalState)
    }

    /// J: the mean cross-entropy of `targets` (time-major, −1 for no target) given
    /// `inputs`, and the final state, to carry into the next window.
    public func loss(
        _ inputs: [[Int]], targets: [[Int]], from state: [[Tensor<Scalar>]], on tape: Tape<Scalar>,
        unrolling: Unrolling = .batched
    ) -> (loss: Variable<Scalar>, state: [[Variable<Scalar>]]) {
        var unused = SeededGenerator(seed: 0)
        return loss(inputs, targets: targets, from: state, on: tape, unrolling: unrolling, dropout: 0, using: &unused)
    }

    /// The same, with dropout on the non-recurrent connections (batched unrolling only).
    public func loss(
        _ inputs: [[Int]], targets: [[Int]], from state: [[Tensor<Scalar>]], on tape: Tape<Scalar>,
        unrolling: Unrolling = .batched, dropout rate: Double, using generator: inout SeededGenerator
    ) -> (loss: Variable<Scalar>, state: [[Variable<Scalar>]]) {
        precondition(rate == 0 || unrolling == .batched, "RecurrentLanguageModel: dropout needs the batched unrolling")
        precondition(inputs.count == targets.count && zip(inputs, targets).allSatisfy { $0.count == $1.count },
                     "RecurrentLanguageModel: inputs and targets differ in shape")
        switch unrolling {
        case .batched:
            let (outputs, finalState) = hiddenStates(inputs, from: state, on: tape, dropout: rate, using: &generator)
            return (outputLayer.fusedLoss(outputs, targets: targets.flatMap { $0 }), finalState)
        case .stepByStep:
            precondition(targets.allSatisfy { $0.allSatisfy { $0 >= 0 } }, "stepByStep unrolling takes no padding")
            var current = zip(layers, state).map { cell, s in cell.state(s, on: tape) }
            var total: Variable<Scalar>? = nil
            tape.beginLoop()  // for the figures: one column per time step
            for t in inputs.indices {
                tape.timeStep = t + 1
                var x = embedding(inputs[t], on: tape, label: "e(\(t + 1))")
                for (l, cell) in layers.enumerated() {
                    current[l] = cell(x, state: current[l])
                    x = current[l].hidden
                }
                let stepLoss = outputLayer.loss(x, targets: targets[t])
                total = total.map { $0 + stepLoss } ?? stepLoss
            }
            tape.timeStep = nil
            return (total! * (1 / Scalar(inputs.count)), current.map(\.tensors))
        }
    }

    /// The distribution ŷ over the next word after each sequence of a batch, from the
    /// top layer's h (B × H): softmax(U h + b₂), or the adaptive softmax's p(w | h).
    public func distribution(after h: Tensor<Scalar>) -> Tensor<Scalar> {
        outputLayer.distribution(after: h)
    }
}
