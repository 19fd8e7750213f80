import XCTest
@testable import NeuralKit

/// The fused output layer against its unfused composition, the row ops and the RNN cell
/// against finite differences.
final class RecurrentTests: XCTestCase {
    var generator = SeededGenerator(seed: 11)

    func parameter(_ name: String, _ shape: [Int]) -> Parameter<Double> {
        Parameter(name, .uniform(shape, bound: 1, using: &generator))
    }

    func assertGradients(_ parameters: [Parameter<Double>], line: UInt = #line, _ loss: (Tape<Double>) -> Variable<Double>) {
        let result = gradientCheck(parameters, loss: loss)
        XCTAssertEqual(result.errors.count, parameters.count, line: line)
        for (name, error) in result.errors { XCTAssertLessThan(error, 1e-6, "relative error of \(name)", line: line) }
    }

    func testFusedOutputLayerGradients() {
        let h = parameter("h", [5, 3]), w = parameter("W", [7, 3]), b = parameter("b", [7])
        assertGradients([h, w, b]) { t in
            linearSoftmaxCrossEntropy(t.parameter(h), weight: t.parameter(w), bias: t.parameter(b), labels: [0, 6, 3, -1, 3])
        }
        // The op prepares its gradient for an upstream gradient of 1; here it gets −2.5.
        assertGradients([h, w, b]) { t in
            linearSoftmaxCrossEntropy(t.parameter(h), weight: t.parameter(w), bias: t.parameter(b), labels: [0, 6, 3, -1, 3]) * -2.5
        }
    }

    /// The fused op equals matmul + bias + softmaxCrossEntropy over the rows with a label,
    /// in value and in every gradient (padding rows get none).
    func testFusedOutputLayerMatchesUnfused() {
        let h = parameter("h", [6, 4]), w = parameter("W", [9, 4]), b = parameter("b", [9])
        let labels = [2, -1, 8, 0, 0, -1]
        let fused = Tape<Double>()
        let hv = fused.parameter(h)
        let lf = linearSoftmaxCrossEntropy(hv, weight: fused.parameter(w), bias: fused.parameter(b), labels: labels)
        fused.backward(from: lf)
        let fusedGradients = [h, w, b].map(\.gradient)
        [h, w, b].zeroGradients()

        let kept = labels.indices.filter { labels[$0] >= 0 }
        let plain = Tape<Double>()
        let rows = concatenate(rows: kept.map { slice(plain.parameter(h), rows: $0..<($0 + 1)) })
        let logits = matmul(rows, plain.parameter(w), transposeRight: true) + plain.parameter(b)
        let lu = softmaxCrossEntropy(logits: logits, labels: kept.map { labels[$0] })
        plain.backward(from: lu)
        XCTAssertEqual(lf.value.scalar, lu.value.scalar, accuracy: 1e-12)
        for (p, g) in zip([h, w, b], fusedGradients) {
            XCTAssertEqual(p.gradient.shape, g.shape)
            for (x, y) in zip(p.gradient.scalars, g.scalars) { XCTAssertEqual(x, y, accuracy: 1e-12, p.name) }
        }
        // a padding row's gradient is exactly zero
        XCTAssertEqual(fusedGradients[0].row(1), [0, 0, 0, 0])
    }

    /// Big enough to take the two-thread path (rows × classes ≥ 2^18).
    func testFusedOutputLayerThreadedMatchesUnfusedInFloat() {
        var g = SeededGenerator(seed: 3)
        let h = Parameter<Float>("h", .uniform([64, 16], bound: 1, using: &g))
        let w = Parameter<Float>("W", .uniform([5000, 16], bound: 1, using: &g))
        let b = Parameter<Float>("b", .uniform([5000], bound: 1, using: &g))
        let labels = (0..<64).map { ($0 * 997) % 5000 }
        let fused = Tape<Float>()
        let lf = linearSoftmaxCrossEntropy(fused.parameter(h), weight: fused.parameter(w), bias: fused.parameter(b), labels: labels)
        fused.backward(from: lf)
        let fusedGradients = [h, w, b].map(\.gradient)
        [h, w, b].zeroGradients()
        let plain = Tape<Float>()
        let lu = softmaxCrossEntropy(logits: matmul(plain.parameter(h), plain.parameter(w), transposeRight: true) + plain.parameter(b),
                                     labels: labels)
        plain.backward(from: lu)
        XCTAssertEqual(lf.value.scalar, lu.value.scalar, accuracy: 1e-4)
        for (p, g) in zip([h, w, b], fusedGradients) {
            let scale = p.gradient.maxAbs
            for (x, y) in zip(p.gradient.scalars, g.scalars) { XCTAssertEqual(x, y, accuracy: 1e-4 * scale, p.name) }
        }
    }

    func testRowStackAndSlice() {
        let a = parameter("a", [2, 3]), b = parameter("b", [4, 3])
        assertGradients([a, b]) { t in
            let stacked = concatenate(rows: [t.parameter(a), t.parameter(b)])
            XCTAssertEqual(stacked.shape, [6, 3])
            XCTAssertEqual(stacked.value.row(2), b.value.row(0))
            let middle = slice(stacked, rows: 1..<4)
            return sum(middle * middle)
        }
    }

    func testRNNCellBothActivations() {
        for activation in RecurrentActivation.allCases {
            var g = SeededGenerator(seed: 5)
            let cell = RNNCell<Double>(inputSize: 3, hiddenSize: 4, activation: activation, name: "rnn", using: &g)
            let x = parameter("x", [2, 3]), h0 = parameter("h0", [2, 4])
            assertGradients(cell.parameters + [x, h0]) { t in
                let h1 = cell(t.parameter(x), state: HiddenState(hidden: t.parameter(h0)))
                let h2 = cell(t.parameter(x), state: h1).hidden
                return sum(h2 * h2)
            }
        }
    }

    // BEGIN HIDDEN TESTS
    /// h = σ(W_h h₀ + W_e x + b₁) by hand for one row.
    func testRNNCellMatchesTheFormula() {
        var g = SeededGenerator(seed: 9)
        let cell = RNNCell<Double>(inputSize: 2, hiddenSize: 3, activation: .sigmoid, name: "rnn", using: &g)
        let x = [0.5, -1.0], h0 = [0.2, 0.0, -0.3]
        let t = Tape<Double>()
        let h = cell(t.input(Tensor(rows: [x]), name: "x"), state: HiddenState(hidden: t.input(Tensor(rows: [h0]), name: "h0"))).hidden.value
        for i in 0..<3 {
            var a = cell.bias.value.scalars[i]
            for j in 0..<3 { a += cell.recurrentWeight.value[i, j] * h0[j] }
            for j in 0..<2 { a += cell.inputWeight.value[i, j] * x[j] }
            XCTAssertEqual(h.scalars[i], 1 / (1 + Foundation.exp(-a)), accuracy: 1e-14)
        }
    }
    // END HIDDEN TESTS
}

/// The gated cells: gradients through two steps, and the slides' equations by hand.
final class GatedCellTests: XCTestCase {
    func assertGradients(_ parameters: [Parameter<Double>], line: UInt = #line, _ loss: (Tape<Double>) -> Variable<Double>) {
        let result = gradientCheck(parameters, loss: loss)
        XCTAssertEqual(result.errors.count, parameters.count, line: line)
        for (name, error) in result.errors { XCTAssertLessThan(error, 1e-6, "relative error of \(name)", line: line) }
    }

    /// The labels the fused recurrent ops record (the LSTM's one-step fused ops and the
    /// window kernels; a whole window's ", T steps" cut off), taken from the ops themselves.
    static var fusedOpLabels: Set<String> {
        let t = Tape<Double>()
        let z = t.input(.zeros([1, 4]), name: "z"), c = t.input(.zeros([1, 1]), name: "c")
        _ = lstmHiddenState(z, cell: lstmCellState(z, previous: c))
        _ = lstmWindow(z, recurrentWeight: t.input(.zeros([4, 1]), name: "W"), h0: c, c0: c, steps: 1)
        _ = gruWindow(t.input(.zeros([1, 3]), name: "P"), gateWeight: t.input(.zeros([2, 1]), name: "W_zr"),
                      candidateWeight: t.input(.zeros([1, 1]), name: "W_h"), h0: c, steps: 1)
        return Set(t.nodes.filter { $0.kind == .operation }.map { opName($0.label) })
    }

    static func opName(_ label: String) -> String { String(label.split(separator: ",").first ?? "") }

    /// A readable step is written out from the equations: none of the fused ops (which
    /// compute a whole cell) is on its tape.
    func assertNoFusedOps(_ tape: Tape<Double>, line: UInt = #line) {
        XCTAssertEqual(Self.fusedOpLabels.count, 4, "the fused ops' labels: \(Self.fusedOpLabels)", line: line)
        let used = Set(tape.nodes.filter { $0.kind == .operation }.map { Self.opName($0.label) })
        XCTAssertTrue(used.isDisjoint(with: Self.fusedOpLabels),
                      "the readable step calls fused ops: \(used.intersection(Self.fusedOpLabels).sorted())", line: line)
    }

    func testOneMinusGradient() {
        var g = SeededGenerator(seed: 1)
        let x = Parameter<Double>("x", .uniform([2, 3], bound: 1, using: &g))
        assertGradients([x]) { t in sum(oneMinus(t.parameter(x)) * t.parameter(x)) }
    }

    /// The readable step (the exercise), which calls none of the fused ops, then the
    /// fused one (``LSTMWindowKernel/fusedStep(projected:state:)``).
    func testLSTMCellGradientsThroughTwoSteps() {
        for fused in [false, true] {
        var g = SeededGenerator(seed: 2)
        let cell = LSTMCell<Double>(inputSize: 3, hiddenSize: 4, name: "lstm", using: &g)
        let step = Self.step(cell, fused: fused)
        cell.bias.value = .uniform([16], bound: 0.5, using: &g)
        let x = Parameter<Double>("x", .uniform([2, 3], bound: 1, using: &g))
        let h0 = Parameter<Double>("h0", .uniform([2, 4], bound: 1, using: &g))
        let c0 = Parameter<Double>("c0", .uniform([2, 4], bound: 1, using: &g))
        var tapes: [Tape<Double>] = []
        assertGradients(cell.parameters + [x, h0, c0]) { t in
            tapes.append(t)
            let s1 = step(t.parameter(x), LSTMState(hidden: t.parameter(h0), cell: t.parameter(c0)))
            let s2 = step(t.parameter(x), s1)
            return sum(s2.hidden * s2.hidden) + sum(s2.cell)
        }
        if !fused { assertNoFusedOps(tapes[0]) }
        }
    }

    /// The LSTM step with its element-wise half as two fused ops
    /// (``LSTMWindowKernel/fusedStep(projected:state:)``) equals the readable `step` bit for
    /// bit: same h, c and the same gradients for every parameter and input.
    func testFusedLSTMStepEqualsTheReadableOne() {
        var g = SeededGenerator(seed: 12)
        let cell = LSTMCell<Double>(inputSize: 3, hiddenSize: 5, name: "lstm", using: &g)
        cell.bias.value = .uniform([20], bound: 1, using: &g)
        let x = Parameter<Double>("x", .uniform([4, 3], bound: 1, using: &g))
        let h0 = Parameter<Double>("h0", .uniform([4, 5], bound: 1, using: &g))
        let c0 = Parameter<Double>("c0", .uniform([4, 5], bound: 1, using: &g))
        let all = cell.parameters + [x, h0, c0]
        var outputs: [[Double]] = [], gradients: [[[Double]]] = []
        for fused in [true, false] {
            let step = Self.step(cell, fused: fused)
            let t = Tape<Double>()
            let s1 = step(t.parameter(x), LSTMState(hidden: t.parameter(h0), cell: t.parameter(c0)))
            let s2 = step(t.parameter(x), s1)
            var r = SeededGenerator(seed: 1)
            let loss = sum(s2.hidden * t.input(.uniform([4, 5], bound: 1, using: &r), name: "r")) + sum(s2.cell * s2.cell)
            t.backward(from: loss)
            outputs.append(s2.hidden.value.scalars + s2.cell.value.scalars)
            gradients.append(all.map(\.gradient.scalars))
            all.zeroGradients()
        }
        XCTAssertEqual(outputs[0], outputs[1])  // bit for bit
        for (parameter, (a, b)) in zip(all, zip(gradients[0], gradients[1])) {
            XCTAssertEqual(a, b, "gradient of \(parameter.name)")
        }
    }

    /// Gradient check of a cell's whole-window kernel (``WindowRun/wholeWindow``): every parameter,
    /// the inputs and the initial state, through every h(t) and the final state. A batch
    /// of 3 hands the recurrent weights' gradients over as one product (as `matmul` does
    /// for a few rows), a batch of 65 gets them per step.
    func assertSequenceGradients<Cell: RecurrentCell>(
        line: UInt = #line, _ makeCell: (Int, inout SeededGenerator) -> Cell
    ) where Cell.Scalar == Double {
        for (batch, hidden) in [(3, 4), (65, 2)] {
            var g = SeededGenerator(seed: 21)
            let steps = 3
            let cell = makeCell(hidden, &g)
            let x = Parameter<Double>("x", .uniform([steps * batch, cell.inputSize], bound: 1.5, using: &g))
            let state = Cell.State.tensorNames.map { Parameter<Double>("\($0)(0)", .uniform([batch, hidden], bound: 1, using: &g)) }
            var r = SeededGenerator(seed: 5)
            let weights = Tensor<Double>.uniform([steps * batch, hidden], bound: 1, using: &r)
            assertGradients(cell.parameters + [x] + state, line: line) { t in
                let (outputs, final) = cell.window(projected: cell.projectInputs(t.parameter(x)), steps: steps,
                                                   state: Cell.State(tensors: state.map { t.parameter($0) }), run: .wholeWindow)
                let last = final.tensors.last!
                return sum(outputs * t.input(weights, name: "r")) + sum(outputs * outputs) + sum(last * last)
            }
        }
    }

    /// A cell's whole-window kernel does the step-by-step arithmetic exactly: in Float,
    /// every h(t), the final state and every gradient are bit for bit those of the readable
    /// `step` run T times (the equations gate by gate, the oracle), and of `fusedStep` where
    /// the cell has one (the LSTM), for a loss on all h(t) and on the final state's last
    /// tensor. The second size is large enough for the forward pass to run as two halves
    /// of the batch on two threads; each size runs with `FusedKernels.threads` = 1 and 2,
    /// and the results (which cannot depend on the thread count) are the same bits both times.
    func assertSequenceIsStepByStep<Cell: RecurrentCell>(
        line: UInt = #line, fusedStep: ((Cell) -> (Variable<Float>, Cell.State) -> Cell.State)? = nil,
        _ makeCell: (Int, inout SeededGenerator) -> Cell
    ) where Cell.Scalar == Float {
        defer { FusedKernels.threads = 2 }
        for (steps, batch, hidden) in [(5, 4, 7), (3, 16, 40)] {
            var byThreads: [[[UInt32]]] = []
            for threads in [1, 2] {
                FusedKernels.threads = threads
                byThreads.append(sequenceAndStepByStep(steps: steps, batch: batch, hidden: hidden, line: line,
                                                       fusedStep: fusedStep, makeCell))
            }
            XCTAssertEqual(byThreads[0], byThreads[1], "1 thread and 2 threads, batch \(batch)", line: line)
        }
    }

    /// The whole window and the step-by-step run compared (asserted equal bit for bit);
    /// returns the whole window's values and gradients as bit patterns.
    func sequenceAndStepByStep<Cell: RecurrentCell>(
        steps: Int, batch: Int, hidden: Int, line: UInt, fusedStep: ((Cell) -> (Variable<Float>, Cell.State) -> Cell.State)?,
        _ makeCell: (Int, inout SeededGenerator) -> Cell
    ) -> [[UInt32]] where Cell.Scalar == Float {
        do {
            var g = SeededGenerator(seed: 8)
            let cell = makeCell(hidden, &g)
            let x = Parameter<Float>("x", .uniform([steps * batch, cell.inputSize], bound: 1, using: &g))
            let state = Cell.State.tensorNames.map { Parameter<Float>("\($0)(0)", .uniform([batch, hidden], bound: 1, using: &g)) }
            let all = cell.parameters + [x] + state
            var values: [[Float]] = [], gradients: [[[Float]]] = []
            let runs = ["whole window", "readable step"] + (fusedStep == nil ? [] : ["fused step"])
            for run in runs {
                let t = Tape<Float>()
                let projected = cell.projectInputs(t.parameter(x))
                let start = Cell.State(tensors: state.map { t.parameter($0) })
                let (outputs, final) = run == "whole window" ? cell.window(projected: projected, steps: steps, state: start, run: .wholeWindow)
                    : run == "readable step" ? cell.window(projected: projected, steps: steps, state: start, run: .stepByStep)
                    : Self.stepwise(projected: projected, steps: steps, state: start, step: fusedStep!(cell))
                var r = SeededGenerator(seed: 1)
                let last = final.tensors.last!
                let loss = sum(outputs * t.input(.uniform([steps * batch, hidden], bound: 1, using: &r), name: "r"))
                    + sum(last * last)
                t.backward(from: loss)
                values.append(outputs.value.scalars + final.tensors.flatMap(\.value.scalars) + [loss.value.scalar])
                gradients.append(all.map(\.gradient.scalars))
                all.zeroGradients()
            }
            for (other, run) in runs.enumerated().dropFirst() {
                XCTAssertEqual(values[0], values[other], "batch \(batch), against the \(run)", line: line)
                for (parameter, (a, b)) in zip(all, zip(gradients[0], gradients[other])) {
                    XCTAssertEqual(a, b, "gradient of \(parameter.name), batch \(batch), against the \(run)", line: line)
                    XCTAssertTrue(a.contains { $0 != 0 }, "gradient of \(parameter.name) is all zero", line: line)
                }
            }
            return [values[0].map(\.bitPattern)] + gradients[0].map { $0.map(\.bitPattern) }
        }
    }

    /// (tanh, as the language models use it. With σ the kernel's gradients are also the
    /// readable steps' bit for bit, the next test; this check's central differences for x
    /// then reach 3e-6 at the batch of 65, on either path.)
    func testRNNSequenceGradients() {
        assertSequenceGradients { hidden, g in
            let cell = RNNCell<Double>(inputSize: 3, hiddenSize: hidden, name: "rnn", using: &g)
            cell.bias.value = .uniform([hidden], bound: 1, using: &g)
            return cell
        }
    }

    func testRNNSequenceIsTheStepByStepArithmetic() {
        for activation in RecurrentActivation.allCases {
            assertSequenceIsStepByStep { hidden, g in
                let cell = RNNCell<Float>(inputSize: 6, hiddenSize: hidden, activation: activation, name: "rnn", using: &g)
                cell.bias.value = .uniform([hidden], bound: 1, using: &g)
                return cell
            }
        }
    }

    func testLSTMSequenceGradients() {
        assertSequenceGradients { hidden, g in
            let cell = LSTMCell<Double>(inputSize: 3, hiddenSize: hidden, name: "lstm", using: &g)
            cell.bias.value = .uniform([4 * hidden], bound: 1, using: &g)
            return cell
        }
    }

    func testLSTMSequenceIsTheStepByStepArithmetic() {
        assertSequenceIsStepByStep(fusedStep: { cell in { LSTMWindowKernel(cell).fusedStep(projected: $0, state: $1) } }) { hidden, g in
            let cell = LSTMCell<Float>(inputSize: 6, hiddenSize: hidden, name: "lstm", using: &g)
            cell.bias.value = .uniform([4 * hidden], bound: 1, using: &g)
            return cell
        }
    }

    func testGRUSequenceGradients() {
        assertSequenceGradients { hidden, g in
            let cell = GRUCell<Double>(inputSize: 3, hiddenSize: hidden, name: "gru", using: &g)
            cell.bias.value = .uniform([3 * hidden], bound: 1, using: &g)
            return cell
        }
    }

    func testGRUSequenceIsTheStepByStepArithmetic() {
        assertSequenceIsStepByStep { hidden, g in
            let cell = GRUCell<Float>(inputSize: 6, hiddenSize: hidden, name: "gru", using: &g)
            cell.bias.value = .uniform([3 * hidden], bound: 1, using: &g)
            return cell
        }
    }

    func testGRUCellGradientsThroughTwoSteps() {
        var g = SeededGenerator(seed: 3)
        let cell = GRUCell<Double>(inputSize: 3, hiddenSize: 4, name: "gru", using: &g)
        cell.bias.value = .uniform([12], bound: 0.5, using: &g)
        let x = Parameter<Double>("x", .uniform([2, 3], bound: 1, using: &g))
        let h0 = Parameter<Double>("h0", .uniform([2, 4], bound: 1, using: &g))
        var tapes: [Tape<Double>] = []
        assertGradients(cell.parameters + [x, h0]) { t in
            tapes.append(t)
            let h1 = cell(t.parameter(x), state: HiddenState(hidden: t.parameter(h0)))
            let h2 = cell(t.parameter(x), state: h1)
            return sum(h2.hidden * h2.hidden)
        }
        assertNoFusedOps(tapes[0])
    }

    static func sigma(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }

    // BEGIN HIDDEN TESTS
    /// One LSTM step for one row, from the equations with the weights read block by block:
    /// the readable step (the exercise, which must not call the fused ops), then the fused one.
    func testLSTMStepMatchesTheEquations() {
        var g = SeededGenerator(seed: 4)
        let (d, n) = (2, 3)
        let cell = LSTMCell<Double>(inputSize: d, hiddenSize: n, name: "lstm", using: &g)
        cell.bias.value = .uniform([4 * n], bound: 0.5, using: &g)
        let x = [0.3, -0.7], h0 = [0.1, -0.2, 0.5], c0 = [1.0, -0.5, 0.25]
        for fused in [false, true] {
        let t = Tape<Double>()
        let out = Self.step(cell, fused: fused)(t.input(Tensor(rows: [x]), name: "x"),
                                                LSTMState(hidden: t.input(Tensor(rows: [h0]), name: "h"), cell: t.input(Tensor(rows: [c0]), name: "c")))
        if !fused { assertNoFusedOps(t) }
        func pre(_ gate: Int, _ j: Int) -> Double {  // W_gate h + U_gate x + b_gate, row j
            let row = gate * n + j
            var a = cell.bias.value.scalars[row]
            for k in 0..<n { a += cell.recurrentWeight.value[row, k] * h0[k] }
            for k in 0..<d { a += cell.inputWeight.value[row, k] * x[k] }
            return a
        }
        for j in 0..<n {
            let f = Self.sigma(pre(0, j)), i = Self.sigma(pre(1, j)), o = Self.sigma(pre(2, j)), candidate = Foundation.tanh(pre(3, j))
            let c = f * c0[j] + i * candidate
            XCTAssertEqual(out.cell.value.scalars[j], c, accuracy: 1e-14, "fused: \(fused)")
            XCTAssertEqual(out.hidden.value.scalars[j], o * Foundation.tanh(c), accuracy: 1e-14, "fused: \(fused)")
        }
        }
    }
    // END HIDDEN TESTS

    // BEGIN HIDDEN TESTS
    /// One GRU step for one row, from the equations.
    func testGRUStepMatchesTheEquations() {
        var g = SeededGenerator(seed: 5)
        let (d, n) = (2, 3)
        let cell = GRUCell<Double>(inputSize: d, hiddenSize: n, name: "gru", using: &g)
        cell.bias.value = .uniform([3 * n], bound: 0.5, using: &g)
        let x = [0.3, -0.7], h0 = [0.1, -0.2, 0.5]
        let t = Tape<Double>()
        let out = cell(t.input(Tensor(rows: [x]), name: "x"), state: HiddenState(hidden: t.input(Tensor(rows: [h0]), name: "h"))).hidden
        assertNoFusedOps(t)
        func ux(_ gate: Int, _ j: Int) -> Double {  // U_z, U_r, U_h row j, times x, plus b
            var a = cell.bias.value.scalars[gate * n + j]
            for k in 0..<d { a += cell.inputWeight.value[gate * n + j, k] * x[k] }
            return a
        }
        func w(_ gate: Int, _ j: Int, _ v: [Double]) -> Double {  // W_z, W_r, W_h row j, times v
            let w = gate < 2 ? cell.gateWeight.value : cell.candidateWeight.value
            let row = gate < 2 ? gate * n + j : j
            return (0..<n).reduce(0) { $0 + w[row, $1] * v[$1] }
        }
        let r = (0..<n).map { Self.sigma(w(1, $0, h0) + ux(1, $0)) }
        let reset = zip(r, h0).map { $0 * $1 }
        for j in 0..<n {
            let z = Self.sigma(w(0, j, h0) + ux(0, j))
            let candidate = Foundation.tanh(w(2, j, reset) + ux(2, j))
            XCTAssertEqual(out.value.scalars[j], (1 - z) * h0[j] + z * candidate, accuracy: 1e-14)
        }
    }
    // END HIDDEN TESTS

    /// The slides' claim: with the forget gate at 1 and the input gate at 0, the cell
    /// state is carried unchanged, here across 1,000 steps of random inputs, exactly: on
    /// the readable step (gate by gate, the exercise) and on the fused one.
    func testLSTMKeepsItsCellIndefinitely() {
        for fused in [false, true] {
        var g = SeededGenerator(seed: 6)
        let (d, n) = (3, 5)
        let cell = LSTMCell<Double>(inputSize: d, hiddenSize: n, name: "lstm", using: &g)
        let advance = Self.step(cell, fused: fused)
        // f and i gates: no weights, biases so large that σ is exactly 1 and exactly 0
        var w = cell.recurrentWeight.value, u = cell.inputWeight.value, b = cell.bias.value
        for row in 0..<(2 * n) {
            for k in 0..<n { w.scalars[row * n + k] = 0 }
            for k in 0..<d { u.scalars[row * d + k] = 0 }
            b.scalars[row] = row < n ? 1000 : -1000
        }
        (cell.recurrentWeight.value, cell.inputWeight.value, cell.bias.value) = (w, u, b)
        let c0 = Tensor<Double>.uniform([1, n], bound: 3, using: &g)
        var h = Tensor<Double>.uniform([1, n], bound: 1, using: &g), c = c0
        for step in 0..<1000 {
            let t = Tape<Double>()
            let next = advance(t.input(.uniform([1, d], bound: 5, using: &g), name: "x"),
                               LSTMState(hidden: t.input(h, name: "h"), cell: t.input(c, name: "c")))
            (h, c) = (next.hidden.value, next.cell.value)
            if step == 0 && !fused { assertNoFusedOps(t) }
        }
        XCTAssertEqual(c.scalars, c0.scalars, "fused: \(fused)")  // bit for bit
        XCTAssertNotEqual(h.scalars, [Double](repeating: 0, count: n))
        }
    }

    /// The slides' claim for the GRU: with the update gate at 0 (no weights into it, bias
    /// −1000, so σ gives exactly 0), h(t) = h(t−1), here across 1,000 steps of random
    /// inputs, bit for bit, while the reset gate and the candidate keep changing.
    func testGRUZeroUpdateGateCopiesTheState() {
        var g = SeededGenerator(seed: 7)
        let (d, n) = (3, 5)
        let cell = GRUCell<Double>(inputSize: d, hiddenSize: n, name: "gru", updateBias: -1000, using: &g)
        // the update gate's rows come first in U (n × d of them) and in W_zr (n × n)
        cell.inputWeight.value.scalars.replaceSubrange(0..<(n * d), with: repeatElement(0, count: n * d))
        cell.gateWeight.value.scalars.replaceSubrange(0..<(n * n), with: repeatElement(0, count: n * n))
        let h0 = Tensor<Double>.uniform([1, n], bound: 1, using: &g)
        var h = h0
        for step in 0..<1000 {
            let t = Tape<Double>()
            h = cell(t.input(.uniform([1, d], bound: 5, using: &g), name: "x"), state: HiddenState(hidden: t.input(h, name: "h"))).hidden.value
            if step == 0 { assertNoFusedOps(t) }
        }
        XCTAssertEqual(h.scalars, h0.scalars)  // bit for bit
    }
}

extension GatedCellTests {
    /// An LSTM step on an input x: the readable `step` (`fused` false), or the step with
    /// its element-wise half as two fused ops (``LSTMWindowKernel/fusedStep(projected:state:)``).
    static func step(_ cell: LSTMCell<Double>, fused: Bool) -> (Variable<Double>, LSTMState<Double>) -> LSTMState<Double> {
        fused ? { x, state in LSTMWindowKernel(cell).fusedStep(projected: cell.projectInputs(x), state: state) }
              : { x, state in cell(x, state: state) }
    }

    /// A window one step at a time with `step` (as ``RecurrentCell/stepByStep(projected:steps:state:)``
    /// does with the cell's own).
    static func stepwise<State: RecurrentState>(
        projected: Variable<State.Scalar>, steps: Int, state: State, step: (Variable<State.Scalar>, State) -> State
    ) -> (outputs: Variable<State.Scalar>, state: State) {
        let batch = projected.shape[0] / steps
        var current = state, outputs: [Variable<State.Scalar>] = []
        for t in 0..<steps {
            current = step(slice(projected, rows: (t * batch)..<((t + 1) * batch)), current)
            outputs.append(current.hidden)
        }
        return (steps == 1 ? outputs[0] : concatenate(rows: outputs), current)
    }
}
