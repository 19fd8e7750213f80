/// Recurrent cells: one time step of a recurrent network, the same weights at every step.
///
/// A cell's step is split in two so that a whole sequence can be run fast without
/// changing the arithmetic: ``RecurrentCell/projectInputs(_:)`` computes the input's part
/// of every pre-activation (W_e e + b, all gate blocks side by side) and can take every
/// time step's inputs at once, as one product; ``RecurrentCell/step(projected:state:)``
/// adds the recurrent part and applies the gates. Calling the cell on one input does
/// both, exactly as the slides write the step.
public protocol RecurrentCell<Scalar>: Layer {
    /// Size of the input vector x(t) (an embedding e(t), or the layer below's h(t)).
    var inputSize: Int { get }
    /// Size of h(t).
    var hiddenSize: Int { get }
    /// How many tensors the state holds: 1 (h) for a plain RNN or a GRU, 2 (h, c) for an LSTM.
    var stateCount: Int { get }
    /// The input's part of the pre-activations for a (B × inputSize) batch of inputs (any
    /// number of rows: one time step or several stacked).
    func projectInputs(_ x: Variable<Scalar>) -> Variable<Scalar>
    /// One time step from the projected input (B rows) and the previous state; returns
    /// the new state, whose first tensor is h(t).
    func step(projected: Variable<Scalar>, state: [Variable<Scalar>]) -> [Variable<Scalar>]
    /// Runs `steps` steps: `projected` holds every step's projected inputs stacked
    /// (steps·B rows, step t in rows t·B ..< (t+1)·B), `state` the state before the first.
    /// Returns every step's h(t) stacked the same way, and the final state. By default
    /// ``RecurrentCell/stepwise(projected:steps:state:)``: `step` at each t, as the slides
    /// draw it; a cell may run the same arithmetic as one op.
    func sequence(projected: Variable<Scalar>, steps: Int, state: [Variable<Scalar>])
        -> (outputs: Variable<Scalar>, state: [Variable<Scalar>])
}

extension RecurrentCell {
    /// One step on an input x(t): `step(projected: projectInputs(x), state: state)`.
    public func callAsFunction(_ x: Variable<Scalar>, state: [Variable<Scalar>]) -> [Variable<Scalar>] {
        step(projected: projectInputs(x), state: state)
    }

    public func sequence(projected: Variable<Scalar>, steps: Int, state: [Variable<Scalar>])
        -> (outputs: Variable<Scalar>, state: [Variable<Scalar>]) {
        stepwise(projected: projected, steps: steps, state: state)
    }

    /// ``RecurrentCell/sequence(projected:steps:state:)`` one `step` at a time: each step
    /// takes its rows of `projected`, and the h(t) are stacked at the end.
    public func stepwise(projected: Variable<Scalar>, steps: Int, state: [Variable<Scalar>])
        -> (outputs: Variable<Scalar>, state: [Variable<Scalar>]) {
        precondition(steps > 0 && projected.shape[0] % steps == 0, "sequence: \(projected.shape[0]) rows are not \(steps) steps")
        let batch = projected.shape[0] / steps
        var current = state
        var outputs: [Variable<Scalar>] = []
        for t in 0..<steps {
            current = step(projected: slice(projected, rows: (t * batch)..<((t + 1) * batch)), state: current)
            outputs.append(current[0])
        }
        return (steps == 1 ? outputs[0] : concatenate(rows: outputs), current)
    }

    /// The zero state for a batch of `batchSize` sequences.
    public func zeroState(batchSize: Int) -> [Tensor<Scalar>] {
        Array(repeating: .zeros([batchSize, hiddenSize]), count: stateCount)
    }
}

/// The nonlinearity of a plain RNN: the slides write σ; tanh is the common choice.
public enum RecurrentActivation: String, CaseIterable, Sendable {
    case tanh, sigmoid

    func apply<Scalar>(_ x: Variable<Scalar>) -> Variable<Scalar> {
        switch self {
        case .tanh: return NeuralKit.tanh(x)
        case .sigmoid: return NeuralKit.sigmoid(x)
        }
    }
}

/// The plain (Elman) RNN cell of the slides:
/// ```
/// h(t) = σ(W_h h(t−1) + W_e e(t) + b₁)
/// ```
/// W_h is (H × H), W_e is (H × d), b₁ is (H). Parameters are named `name.W_h`,
/// `name.W_e`, `name.b1`.
public struct RNNCell<Scalar: TensorScalar>: RecurrentCell {
    public let recurrentWeight: Parameter<Scalar>
    public let inputWeight: Parameter<Scalar>
    public let bias: Parameter<Scalar>
    public let activation: RecurrentActivation

    /// Weights uniform in ±1/√H (as PyTorch's `nn.RNN`), zero bias.
    public init(
        inputSize: Int, hiddenSize: Int, activation: RecurrentActivation = .tanh, name: String,
        using generator: inout SeededGenerator
    ) {
        let bound = 1 / Double(hiddenSize).squareRoot()
        recurrentWeight = Parameter("\(name).W_h", .uniform([hiddenSize, hiddenSize], bound: bound, using: &generator))
        inputWeight = Parameter("\(name).W_e", .uniform([hiddenSize, inputSize], bound: bound, using: &generator))
        bias = Parameter("\(name).b1", .zeros([hiddenSize]))
        self.activation = activation
    }

    public var inputSize: Int { inputWeight.shape[1] }
    public var hiddenSize: Int { recurrentWeight.shape[0] }
    public var stateCount: Int { 1 }
    public var parameters: [Parameter<Scalar>] { [recurrentWeight, inputWeight, bias] }

    public func projectInputs(_ x: Variable<Scalar>) -> Variable<Scalar> {
        matmul(x, x.tape.parameter(inputWeight), transposeRight: true) + x.tape.parameter(bias)
    }

    public func step(projected: Variable<Scalar>, state: [Variable<Scalar>]) -> [Variable<Scalar>] {
        precondition(state.count == 1, "RNNCell: the state is [h], got \(state.count) tensors")
        // BEGIN SOLUTION ch5-rnn-step
        let tape = projected.tape
        let recurrent = matmul(state[0], tape.parameter(recurrentWeight), transposeRight: true)
        return [activation.apply(recurrent + projected)]
        // END SOLUTION
    }
}

/// The LSTM cell (Hochreiter and Schmidhuber 1997, with the forget gate of Gers et al.
/// 2000), as the slides write it:
/// ```
/// f(t) = σ(W_f h(t−1) + U_f x(t) + b_f)        forget gate
/// i(t) = σ(W_i h(t−1) + U_i x(t) + b_i)        input gate
/// o(t) = σ(W_o h(t−1) + U_o x(t) + b_o)        output gate
/// c̃(t) = tanh(W_c h(t−1) + U_c x(t) + b_c)     candidate
/// c(t) = f(t) ⊙ c(t−1) + i(t) ⊙ c̃(t)           cell state
/// h(t) = o(t) ⊙ tanh(c(t))                     hidden state
/// ```
/// The four gates' weights are stored stacked, in the order f, i, o, c̃: `name.W`
/// (4H × H) holds W_f … W_c, `name.U` (4H × d) holds U_f … U_c, `name.b` (4H) the biases,
/// so each step is one product per input; the state is [h, c].
public struct LSTMCell<Scalar: TensorScalar>: RecurrentCell {
    public let recurrentWeight: Parameter<Scalar>
    public let inputWeight: Parameter<Scalar>
    public let bias: Parameter<Scalar>
    /// true: the element-wise half of the step runs as two fused ops
    /// (``lstmCellState(_:previous:)``, ``lstmHiddenState(_:cell:)``) and a whole window
    /// as one op (``lstmSequence(_:recurrentWeight:h0:c0:steps:)``); false: as the
    /// equations read, slice by slice and step by step (``readableStep(projected:state:)``:
    /// the reference the fused ops are tested against, bit for bit, and what the figures
    /// draw).
    public var fused = true

    /// Weights uniform in ±1/√H; biases zero except the forget gate's, `forgetBias`
    /// (1 by default, so the cell starts out keeping its state: Jozefowicz et al. 2015).
    public init(inputSize: Int, hiddenSize: Int, name: String, forgetBias: Double = 1,
                using generator: inout SeededGenerator) {
        let bound = 1 / Double(hiddenSize).squareRoot()
        recurrentWeight = Parameter("\(name).W", .uniform([4 * hiddenSize, hiddenSize], bound: bound, using: &generator))
        inputWeight = Parameter("\(name).U", .uniform([4 * hiddenSize, inputSize], bound: bound, using: &generator))
        var b = [Scalar](repeating: 0, count: 4 * hiddenSize)
        for j in 0..<hiddenSize { b[j] = Scalar(forgetBias) }
        bias = Parameter("\(name).b", Tensor(b))
    }

    public var inputSize: Int { inputWeight.shape[1] }
    public var hiddenSize: Int { recurrentWeight.shape[1] }
    public var stateCount: Int { 2 }
    public var parameters: [Parameter<Scalar>] { [recurrentWeight, inputWeight, bias] }

    public func projectInputs(_ x: Variable<Scalar>) -> Variable<Scalar> {
        matmul(x, x.tape.parameter(inputWeight), transposeRight: true) + x.tape.parameter(bias)
    }

    public func step(projected: Variable<Scalar>, state: [Variable<Scalar>]) -> [Variable<Scalar>] {
        precondition(state.count == 2, "LSTMCell: the state is [h, c], got \(state.count) tensors")
        guard fused else { return readableStep(projected: projected, state: state) }
        let (h, c) = (state[0], state[1])
        let z = matmul(h, h.tape.parameter(recurrentWeight), transposeRight: true) + projected
        let cNext = lstmCellState(z, previous: c)
        return [lstmHiddenState(z, cell: cNext), cNext]
    }

    /// The step as the equations read, gate by gate (what `step` runs when `fused` is
    /// false): the reference the fused ops are tested against, and the exercise.
    public func readableStep(projected: Variable<Scalar>, state: [Variable<Scalar>]) -> [Variable<Scalar>] {
        precondition(state.count == 2, "LSTMCell: the state is [h, c], got \(state.count) tensors")
        // BEGIN SOLUTION ch7-lstm-cell
        let (h, c) = (state[0], state[1])
        let n = hiddenSize
        let z = matmul(h, h.tape.parameter(recurrentWeight), transposeRight: true) + projected
        let f = sigmoid(slice(z, columns: 0..<n, label: "f gate"))
        let i = sigmoid(slice(z, columns: n..<(2 * n), label: "i gate"))
        let o = sigmoid(slice(z, columns: (2 * n)..<(3 * n), label: "o gate"))
        let candidate = tanh(slice(z, columns: (3 * n)..<(4 * n), label: "candidate c̃"))
        let cNext = f * c + i * candidate
        return [o * tanh(cNext), cNext]
        // END SOLUTION
    }

    /// With `fused`, the whole window as one op (``lstmSequence(_:recurrentWeight:h0:c0:steps:)``:
    /// the same numbers as step by step, much less bookkeeping); otherwise step by step.
    public func sequence(projected: Variable<Scalar>, steps: Int, state: [Variable<Scalar>])
        -> (outputs: Variable<Scalar>, state: [Variable<Scalar>]) {
        guard fused else { return stepwise(projected: projected, steps: steps, state: state) }
        precondition(state.count == 2, "LSTMCell: the state is [h, c], got \(state.count) tensors")
        let batch = state[0].shape[0]
        let all = lstmSequence(projected, recurrentWeight: projected.tape.parameter(recurrentWeight),
                               h0: state[0], c0: state[1], steps: steps)
        return (slice(all, rows: 0..<(steps * batch)),
                [slice(all, rows: ((steps - 1) * batch)..<(steps * batch)), slice(all, rows: (steps * batch)..<((steps + 1) * batch))])
    }
}

/// The GRU cell (Cho et al. 2014), as the slides write it:
/// ```
/// z(t) = σ(W_z x(t) + U_z h(t−1) + b_z)              update gate
/// r(t) = σ(W_r x(t) + U_r h(t−1) + b_r)              reset gate
/// ĥ(t) = tanh(W_h x(t) + U_h (r(t) ⊙ h(t−1)) + b_h)   candidate
/// h(t) = (1 − z(t)) ⊙ h(t−1) + z(t) ⊙ ĥ(t)
/// ```
/// Three weight blocks to the LSTM's four, and no cell state. Stored as `name.W`
/// (3H × d: W_z, W_r, W_h stacked), `name.U_zr` (2H × H), `name.U_h` (H × H) and `name.b`
/// (3H).
public struct GRUCell<Scalar: TensorScalar>: RecurrentCell {
    public let inputWeight: Parameter<Scalar>
    /// U_z and U_r stacked (2H × H): both multiply h(t−1).
    public let gateWeight: Parameter<Scalar>
    /// U_h (H × H): multiplies r(t) ⊙ h(t−1).
    public let candidateWeight: Parameter<Scalar>
    public let bias: Parameter<Scalar>
    /// true: a whole window runs as one op (``gruSequence(_:gateWeight:candidateWeight:h0:steps:)``,
    /// the same numbers as step by step); false: step by step, as the equations read.
    public var fused = true

    /// Weights uniform in ±1/√H; biases zero except the update gate's, `updateBias`
    /// (a negative one makes the cell start out copying its state, as the LSTM's forget
    /// bias does).
    public init(inputSize: Int, hiddenSize: Int, name: String, updateBias: Double = 0,
                using generator: inout SeededGenerator) {
        let bound = 1 / Double(hiddenSize).squareRoot()
        inputWeight = Parameter("\(name).W", .uniform([3 * hiddenSize, inputSize], bound: bound, using: &generator))
        gateWeight = Parameter("\(name).U_zr", .uniform([2 * hiddenSize, hiddenSize], bound: bound, using: &generator))
        candidateWeight = Parameter("\(name).U_h", .uniform([hiddenSize, hiddenSize], bound: bound, using: &generator))
        var b = [Scalar](repeating: 0, count: 3 * hiddenSize)
        for j in 0..<hiddenSize { b[j] = Scalar(updateBias) }
        bias = Parameter("\(name).b", Tensor(b))
    }

    public var inputSize: Int { inputWeight.shape[1] }
    public var hiddenSize: Int { candidateWeight.shape[0] }
    public var stateCount: Int { 1 }
    public var parameters: [Parameter<Scalar>] { [inputWeight, gateWeight, candidateWeight, bias] }

    public func projectInputs(_ x: Variable<Scalar>) -> Variable<Scalar> {
        matmul(x, x.tape.parameter(inputWeight), transposeRight: true) + x.tape.parameter(bias)
    }

    public func step(projected: Variable<Scalar>, state: [Variable<Scalar>]) -> [Variable<Scalar>] {
        precondition(state.count == 1, "GRUCell: the state is [h], got \(state.count) tensors")
        // BEGIN SOLUTION ch8-gru-cell
        let h = state[0]
        let n = hiddenSize
        let recurrent = matmul(h, h.tape.parameter(gateWeight), transposeRight: true)  // [U_z h, U_r h]
        let z = sigmoid(slice(projected, columns: 0..<n, label: "W_z x + b_z") + slice(recurrent, columns: 0..<n, label: "U_z h"))
        let r = sigmoid(slice(projected, columns: n..<(2 * n), label: "W_r x + b_r")
                        + slice(recurrent, columns: n..<(2 * n), label: "U_r h"))
        let candidate = tanh(slice(projected, columns: (2 * n)..<(3 * n), label: "W_h x + b_h")
                             + matmul(r * h, h.tape.parameter(candidateWeight), transposeRight: true))
        return [oneMinus(z) * h + z * candidate]
        // END SOLUTION
    }

    public func sequence(projected: Variable<Scalar>, steps: Int, state: [Variable<Scalar>])
        -> (outputs: Variable<Scalar>, state: [Variable<Scalar>]) {
        guard fused else { return stepwise(projected: projected, steps: steps, state: state) }
        precondition(state.count == 1, "GRUCell: the state is [h], got \(state.count) tensors")
        let batch = state[0].shape[0], tape = projected.tape
        let all = gruSequence(projected, gateWeight: tape.parameter(gateWeight), candidateWeight: tape.parameter(candidateWeight),
                              h0: state[0], steps: steps)
        return (all, [slice(all, rows: ((steps - 1) * batch)..<(steps * batch))])
    }
}

extension RecurrentCell {
    /// Runs the cell over a whole batch of sequences of equal length: `x` holds the
    /// inputs time-major, (steps·B × inputSize) with rows t·B ..< (t+1)·B at step t.
    /// Returns every step's state in time order (h(t) first in each); with `reversed` the
    /// cell reads the sequence from its last step to its first (the backward half of a
    /// bidirectional network), and the states are still returned in time order.
    public func unroll(
        _ x: Variable<Scalar>, steps: Int, from initial: [Variable<Scalar>]? = nil, reversed: Bool = false
    ) -> [[Variable<Scalar>]] {
        precondition(steps > 0 && x.shape[0] % steps == 0, "unroll: \(x.shape[0]) rows are not \(steps) steps")
        let batch = x.shape[0] / steps
        let projected = projectInputs(x)
        var state = initial ?? zeroState(batchSize: batch).enumerated().map {
            x.tape.input($1, name: $0 == 0 ? "h(0)" : "c(0)")
        }
        var states = [[Variable<Scalar>]](repeating: [], count: steps)
        /// Step t's rows of the projected inputs.
        func inputs(_ t: Int) -> Variable<Scalar> { steps == 1 ? projected : slice(projected, rows: (t * batch)..<((t + 1) * batch)) }
        guard reversed else {
            for t in 0..<steps {
                state = step(projected: inputs(t), state: state)
                states[t] = state
            }
            return states
        }
        // BEGIN SOLUTION ch9-reversed-unroll
        for t in (0..<steps).reversed() {
            state = step(projected: inputs(t), state: state)
            states[t] = state
        }
        return states
        // END SOLUTION
    }
}
