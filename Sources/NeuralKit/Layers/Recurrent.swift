/// Recurrent cells: one time step of a recurrent network, the same weights at every step.
///
/// Names of the weights, the lecture's, for all three cells: the matrix that multiplies
/// the previous hidden state h(t−1) is W, the one that multiplies the input x(t) is U
/// (the plain RNN keeps the slides' W_h for h(t−1) and W_e for the embedding e(t)).
///
/// A cell's step is split in two so that a whole window can be run fast without changing
/// the arithmetic: ``RecurrentCell/projectInputs(_:)`` computes the input's part of every
/// pre-activation (U x + b, all gate blocks side by side) and can take every time step's
/// inputs at once, as one product; ``RecurrentCell/step(projected:state:)`` adds the
/// recurrent part and applies the gates, always as the equations read. Calling the cell
/// on one input does both, exactly as the slides write the step. Running a whole window
/// as one op is a separate, explicitly chosen kernel (``RNNWindowKernel``,
/// ``LSTMWindowKernel``, ``GRUWindowKernel``, see ``WindowRun``), tested against `step`.
public protocol RecurrentCell<Scalar>: Layer {
    /// What the cell carries from one step to the next: ``HiddenState`` (h) for a plain
    /// RNN or a GRU, ``LSTMState`` (h and c) for an LSTM.
    associatedtype State: RecurrentState where State.Scalar == Scalar
    /// How a whole window runs as one op: ``RNNWindowKernel``, ``LSTMWindowKernel``,
    /// ``GRUWindowKernel``, or ``StepByStepWindow`` (`step` T times) for a cell without a
    /// kernel of its own.
    associatedtype WindowKernel: RecurrentWindowKernel where WindowKernel.Cell == Self
    /// Size of the input vector x(t) (an embedding e(t), or the layer below's h(t)).
    var inputSize: Int { get }
    /// Size of h(t).
    var hiddenSize: Int { get }
    /// The input's part of the pre-activations for a (B × inputSize) batch of inputs (any
    /// number of rows: one time step or several stacked).
    func projectInputs(_ x: Variable<Scalar>) -> Variable<Scalar>
    /// One time step from the projected input (B rows) and the previous state; returns
    /// the new state. Always the cell's equations as the slides write them.
    func step(projected: Variable<Scalar>, state: State) -> State
}

/// The state of a recurrent cell, seen the same way for every cell: generic code (stacked
/// layers, the state carried from one training window to the next, checkpoints) reads
/// `hidden` and the list of `tensors`; a cell's own code reads the named fields.
public protocol RecurrentState<Scalar> {
    associatedtype Scalar: TensorScalar
    /// h(t): what the next step, the layer above and the output layer read.
    var hidden: Variable<Scalar> { get }
    /// Every tensor of the state, h first, in the order of `tensorNames`.
    var tensors: [Variable<Scalar>] { get }
    /// The state from its tensors, in the order of `tensorNames`.
    init(tensors: [Variable<Scalar>])
    /// The tensors' names as the slides write them: ["h"] or ["h", "c"].
    static var tensorNames: [String] { get }
}

/// The state of a plain RNN or a GRU: h(t) alone.
public struct HiddenState<Scalar: TensorScalar>: RecurrentState {
    /// h(t) (B × H).
    public var hidden: Variable<Scalar>

    public init(hidden: Variable<Scalar>) { self.hidden = hidden }

    public init(tensors: [Variable<Scalar>]) {
        precondition(tensors.count == 1, "HiddenState: the state is [h], got \(tensors.count) tensors")
        hidden = tensors[0]
    }

    public var tensors: [Variable<Scalar>] { [hidden] }
    public static var tensorNames: [String] { ["h"] }
}

/// The state of an LSTM: the hidden state h(t) and the cell state c(t).
public struct LSTMState<Scalar: TensorScalar>: RecurrentState {
    /// h(t) (B × H): what the gates and the layer above read.
    public var hidden: Variable<Scalar>
    /// c(t) (B × H): the memory the forget and input gates write.
    public var cell: Variable<Scalar>

    public init(hidden: Variable<Scalar>, cell: Variable<Scalar>) {
        self.hidden = hidden
        self.cell = cell
    }

    public init(tensors: [Variable<Scalar>]) {
        precondition(tensors.count == 2, "LSTMState: the state is [h, c], got \(tensors.count) tensors")
        (hidden, cell) = (tensors[0], tensors[1])
    }

    public var tensors: [Variable<Scalar>] { [hidden, cell] }
    public static var tensorNames: [String] { ["h", "c"] }
}

/// How a window of T steps of a recurrent layer is run. Both give the same numbers, bit
/// for bit (tests check values and gradients); they differ in what the tape records.
public enum WindowRun: Sendable {
    /// The cell's `step`, T times, as the equations read: a dozen tape nodes per step.
    /// The reference, and what the figures draw.
    case stepByStep
    /// The cell's whole-window kernel (``RNNWindowKernel``, ``LSTMWindowKernel``,
    /// ``GRUWindowKernel``): the T steps as one op, the same arithmetic in the same order
    /// with far less bookkeeping. For training.
    case wholeWindow
}

extension RecurrentCell {
    /// One step on an input x(t): `step(projected: projectInputs(x), state: state)`.
    public func callAsFunction(_ x: Variable<Scalar>, state: State) -> State {
        step(projected: projectInputs(x), state: state)
    }

    /// Runs `steps` steps: `projected` holds every step's projected inputs stacked
    /// (steps·B rows, step t in rows t·B ..< (t+1)·B), `state` the state before the first.
    /// Returns every step's h(t) stacked the same way, and the final state; `run` says
    /// whether `step` runs T times or the cell's whole-window kernel once.
    public func window(projected: Variable<Scalar>, steps: Int, state: State, run: WindowRun)
        -> (outputs: Variable<Scalar>, state: State) {
        switch run {
        case .stepByStep: return stepByStep(projected: projected, steps: steps, state: state)
        case .wholeWindow: return WindowKernel(self)(projected: projected, steps: steps, state: state)
        }
    }

    /// A window one `step` at a time: each step takes its rows of `projected`, and the
    /// h(t) are stacked at the end.
    public func stepByStep(projected: Variable<Scalar>, steps: Int, state: State)
        -> (outputs: Variable<Scalar>, state: State) {
        precondition(steps > 0 && projected.shape[0] % steps == 0, "window: \(projected.shape[0]) rows are not \(steps) steps")
        let batch = projected.shape[0] / steps
        var current = state
        var outputs: [Variable<Scalar>] = []
        for t in 0..<steps {
            current = step(projected: slice(projected, rows: (t * batch)..<((t + 1) * batch)), state: current)
            outputs.append(current.hidden)
        }
        return (steps == 1 ? outputs[0] : concatenate(rows: outputs), current)
    }

    /// The zero state's tensors for a batch of `batchSize` sequences, in the order of
    /// `State.tensorNames`.
    public func zeroState(batchSize: Int) -> [Tensor<Scalar>] {
        Array(repeating: .zeros([batchSize, hiddenSize]), count: State.tensorNames.count)
    }

    /// The state `tensors` on `tape`, each an input named after the state's tensors and
    /// `time` ("h(0)", "c(0)").
    public func state(_ tensors: [Tensor<Scalar>], on tape: Tape<Scalar>, time: Int = 0) -> State {
        State(tensors: zip(State.tensorNames, tensors).map { tape.input($1, name: "\($0)(\(time))") })
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
/// W_h (H × H) multiplies h(t−1), W_e (H × d) the input e(t), b₁ is (H). Parameters are
/// named `name.W_h`, `name.W_e`, `name.b1`. The state is ``HiddenState``: h(t).
public struct RNNCell<Scalar: TensorScalar>: RecurrentCell {
    public typealias State = HiddenState<Scalar>
    public typealias WindowKernel = RNNWindowKernel<Scalar>
    /// W_h (H × H): multiplies h(t−1).
    public let recurrentWeight: Parameter<Scalar>
    /// W_e (H × d): multiplies e(t).
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
    public var parameters: [Parameter<Scalar>] { [recurrentWeight, inputWeight, bias] }

    /// W_e e(t) + b₁ for every row of `x`.
    public func projectInputs(_ x: Variable<Scalar>) -> Variable<Scalar> {
        matmul(x, x.tape.parameter(inputWeight), transposeRight: true) + x.tape.parameter(bias)
    }

    /// h(t) = σ(W_h h(t−1) + [W_e e(t) + b₁]), the bracket being `projected`.
    public func step(projected: Variable<Scalar>, state: HiddenState<Scalar>) -> HiddenState<Scalar> {
        // BEGIN SOLUTION ch5-rnn-step
        let recurrent = matmul(state.hidden, projected.tape.parameter(recurrentWeight), transposeRight: true)
        return HiddenState(hidden: activation.apply(recurrent + projected))
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
/// (4H × H, multiplies h(t−1)) holds W_f … W_c, `name.U` (4H × d, multiplies x(t))
/// holds U_f … U_c, `name.b` (4H) the biases, so each step is one product per input.
/// The state is ``LSTMState``: h(t) and c(t).
public struct LSTMCell<Scalar: TensorScalar>: RecurrentCell {
    public typealias State = LSTMState<Scalar>
    public typealias WindowKernel = LSTMWindowKernel<Scalar>
    /// W = [W_f; W_i; W_o; W_c] (4H × H): multiplies h(t−1).
    public let recurrentWeight: Parameter<Scalar>
    /// U = [U_f; U_i; U_o; U_c] (4H × d): multiplies x(t).
    public let inputWeight: Parameter<Scalar>
    /// b = [b_f; b_i; b_o; b_c] (4H).
    public let bias: Parameter<Scalar>

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
    public var parameters: [Parameter<Scalar>] { [recurrentWeight, inputWeight, bias] }

    /// U x(t) + b for every row of `x`: the four gates' input parts, side by side.
    public func projectInputs(_ x: Variable<Scalar>) -> Variable<Scalar> {
        matmul(x, x.tape.parameter(inputWeight), transposeRight: true) + x.tape.parameter(bias)
    }

    /// One step, gate by gate, as the equations read; `projected` is U x(t) + b.
    public func step(projected: Variable<Scalar>, state: LSTMState<Scalar>) -> LSTMState<Scalar> {
        // BEGIN SOLUTION ch7-lstm-cell
        let n = hiddenSize
        // The four pre-activations side by side, W h(t−1) + U x(t) + b: blocks f, i, o, c̃.
        let a = matmul(state.hidden, projected.tape.parameter(recurrentWeight), transposeRight: true) + projected
        let f = sigmoid(slice(a, columns: 0..<n, label: "f gate"))
        let i = sigmoid(slice(a, columns: n..<(2 * n), label: "i gate"))
        let o = sigmoid(slice(a, columns: (2 * n)..<(3 * n), label: "o gate"))
        let cTilde = tanh(slice(a, columns: (3 * n)..<(4 * n), label: "candidate c̃"))
        let c = f * state.cell + i * cTilde
        return LSTMState(hidden: o * tanh(c), cell: c)
        // END SOLUTION
    }
}

/// The GRU cell (Cho et al. 2014), as the slides write it, with the lecture's names (W
/// multiplies h(t−1), U multiplies x(t)):
/// ```
/// z(t) = σ(W_z h(t−1) + U_z x(t) + b_z)              update gate
/// r(t) = σ(W_r h(t−1) + U_r x(t) + b_r)              reset gate
/// ĥ(t) = tanh(W_h (r(t) ⊙ h(t−1)) + U_h x(t) + b_h)   candidate
/// h(t) = (1 − z(t)) ⊙ h(t−1) + z(t) ⊙ ĥ(t)
/// ```
/// Three weight blocks to the LSTM's four, and no cell state. Stored as `name.U`
/// (3H × d: U_z, U_r, U_h stacked), `name.W_zr` (2H × H: W_z over W_r), `name.W_h`
/// (H × H) and `name.b` (3H). The state is ``HiddenState``: h(t).
public struct GRUCell<Scalar: TensorScalar>: RecurrentCell {
    public typealias State = HiddenState<Scalar>
    public typealias WindowKernel = GRUWindowKernel<Scalar>
    /// U = [U_z; U_r; U_h] (3H × d): multiplies x(t).
    public let inputWeight: Parameter<Scalar>
    /// W_zr = [W_z; W_r] (2H × H): both multiply h(t−1).
    public let gateWeight: Parameter<Scalar>
    /// W_h (H × H): multiplies r(t) ⊙ h(t−1).
    public let candidateWeight: Parameter<Scalar>
    /// b = [b_z; b_r; b_h] (3H).
    public let bias: Parameter<Scalar>

    /// Weights uniform in ±1/√H (drawn in the order U, W_zr, W_h); biases zero except the
    /// update gate's, `updateBias` (a negative one makes the cell start out copying its
    /// state, as the LSTM's forget bias does).
    public init(inputSize: Int, hiddenSize: Int, name: String, updateBias: Double = 0,
                using generator: inout SeededGenerator) {
        let bound = 1 / Double(hiddenSize).squareRoot()
        inputWeight = Parameter("\(name).U", .uniform([3 * hiddenSize, inputSize], bound: bound, using: &generator))
        gateWeight = Parameter("\(name).W_zr", .uniform([2 * hiddenSize, hiddenSize], bound: bound, using: &generator))
        candidateWeight = Parameter("\(name).W_h", .uniform([hiddenSize, hiddenSize], bound: bound, using: &generator))
        var b = [Scalar](repeating: 0, count: 3 * hiddenSize)
        for j in 0..<hiddenSize { b[j] = Scalar(updateBias) }
        bias = Parameter("\(name).b", Tensor(b))
    }

    public var inputSize: Int { inputWeight.shape[1] }
    public var hiddenSize: Int { candidateWeight.shape[0] }
    public var parameters: [Parameter<Scalar>] { [inputWeight, gateWeight, candidateWeight, bias] }

    /// U x(t) + b for every row of `x`: the blocks z, r, ĥ side by side.
    public func projectInputs(_ x: Variable<Scalar>) -> Variable<Scalar> {
        matmul(x, x.tape.parameter(inputWeight), transposeRight: true) + x.tape.parameter(bias)
    }

    /// One step, gate by gate, as the equations read; `projected` is U x(t) + b.
    public func step(projected: Variable<Scalar>, state: HiddenState<Scalar>) -> HiddenState<Scalar> {
        // BEGIN SOLUTION ch8-gru-cell
        let h = state.hidden
        let n = hiddenSize
        let recurrent = matmul(h, h.tape.parameter(gateWeight), transposeRight: true)  // [W_z h, W_r h]
        let z = sigmoid(slice(projected, columns: 0..<n, label: "U_z x + b_z") + slice(recurrent, columns: 0..<n, label: "W_z h"))
        let r = sigmoid(slice(projected, columns: n..<(2 * n), label: "U_r x + b_r")
                        + slice(recurrent, columns: n..<(2 * n), label: "W_r h"))
        let hHat = tanh(slice(projected, columns: (2 * n)..<(3 * n), label: "U_h x + b_h")
                        + matmul(r * h, h.tape.parameter(candidateWeight), transposeRight: true))
        return HiddenState(hidden: oneMinus(z) * h + z * hHat)
        // END SOLUTION
    }
}

extension RecurrentCell {
    /// Runs the cell's `step` over a whole batch of sequences of equal length: `x` holds
    /// the inputs time-major, (steps·B × inputSize) with rows t·B ..< (t+1)·B at step t.
    /// Returns every step's state in time order; with `reversed` the cell reads the
    /// sequence from its last step to its first (the backward half of a bidirectional
    /// network), and the states are still returned in time order.
    public func unroll(
        _ x: Variable<Scalar>, steps: Int, from initial: State? = nil, reversed: Bool = false
    ) -> [State] {
        precondition(steps > 0 && x.shape[0] % steps == 0, "unroll: \(x.shape[0]) rows are not \(steps) steps")
        let batch = x.shape[0] / steps
        let projected = projectInputs(x)
        var state = initial ?? self.state(zeroState(batchSize: batch), on: x.tape)
        var states = [State?](repeating: nil, count: steps)
        /// Step t's rows of the projected inputs.
        func inputs(_ t: Int) -> Variable<Scalar> { steps == 1 ? projected : slice(projected, rows: (t * batch)..<((t + 1) * batch)) }
        // For the figures: one column per time step (the tape stamps each op with its t).
        x.tape.beginLoop()
        defer { x.tape.timeStep = nil }
        guard reversed else {
            for t in 0..<steps {
                x.tape.timeStep = t + 1
                state = step(projected: inputs(t), state: state)
                states[t] = state
            }
            return states.map { $0! }
        }
        // BEGIN SOLUTION ch9-reversed-unroll
        for t in (0..<steps).reversed() {
            x.tape.timeStep = t + 1
            state = step(projected: inputs(t), state: state)
            states[t] = state
        }
        return states.map { $0! }
        // END SOLUTION
    }
}
