/// Whole-window kernels: a recurrent layer's T steps as one op on the tape.
///
/// A cell's ``RecurrentCell/step(projected:state:)`` is the readable reference: the
/// equations as the slides write them, a dozen tape nodes per step. A kernel here runs
/// the same arithmetic, in the same order, over a whole window at once (an llm.c-style
/// forward and backward pair over flat buffers), so it gives the same numbers bit for bit
/// (tests check values and gradients against the readable cell) with far less
/// bookkeeping. Nothing uses a kernel silently: whoever runs a window picks one with
/// ``WindowRun`` (``RecurrentCell/window(projected:steps:state:run:)``).

/// A way to run a cell over a whole window; built from the cell (its parameters).
public protocol RecurrentWindowKernel<Cell> {
    associatedtype Cell: RecurrentCell
    /// The kernel for `cell`'s parameters.
    init(_ cell: Cell)
    /// Runs `steps` steps: `projected` (T·B × the cell's projected width) holds every
    /// step's U x(t) + b, time-major; `state` is the state before the first step. Returns
    /// h(1) … h(T) stacked (T·B × H) and the final state.
    func callAsFunction(projected: Variable<Cell.Scalar>, steps: Int, state: Cell.State)
        -> (outputs: Variable<Cell.Scalar>, state: Cell.State)
}

/// The "kernel" of a cell without one (the plain ``RNNCell``): `step` T times.
public struct StepByStepWindow<Cell: RecurrentCell>: RecurrentWindowKernel {
    public let cell: Cell
    public init(_ cell: Cell) { self.cell = cell }

    public func callAsFunction(projected: Variable<Cell.Scalar>, steps: Int, state: Cell.State)
        -> (outputs: Variable<Cell.Scalar>, state: Cell.State) {
        cell.stepByStep(projected: projected, steps: steps, state: state)
    }
}

/// An ``RNNCell`` over a whole window as one op (``rnnWindow(_:recurrentWeight:h0:steps:activation:)``:
/// forward ``rnnWindowForward``, backward ``rnnWindowBackward``). Shapes, T steps of a
/// batch of B, H hidden units:
/// ```
/// projected  P    (T·B × H)  W_e x(t) + b₁ for every step
/// weight     W_h  (H × H)    multiplies h(t−1)
/// state      h(0)  (B × H)
/// outputs         (T·B × H)  h(1) … h(T);   final state h(T)
/// ```
public struct RNNWindowKernel<Scalar: TensorScalar>: RecurrentWindowKernel {
    /// W_h (H × H), the cell's recurrent weight.
    public let recurrentWeight: Parameter<Scalar>
    public let activation: RecurrentActivation

    public init(_ cell: RNNCell<Scalar>) { (recurrentWeight, activation) = (cell.recurrentWeight, cell.activation) }

    public func callAsFunction(projected: Variable<Scalar>, steps: Int, state: HiddenState<Scalar>)
        -> (outputs: Variable<Scalar>, state: HiddenState<Scalar>) {
        let batch = state.hidden.shape[0]
        let all = rnnWindow(projected, recurrentWeight: projected.tape.parameter(recurrentWeight), h0: state.hidden,
                            steps: steps, activation: activation)
        return (all, HiddenState(hidden: slice(all, rows: ((steps - 1) * batch)..<(steps * batch))))
    }
}

/// An ``LSTMCell`` over a whole window as one op (``lstmWindow(_:recurrentWeight:h0:c0:steps:)``:
/// forward ``lstmWindowForward``, backward ``lstmWindowBackward``). Shapes, T steps of a
/// batch of B, H hidden units:
/// ```
/// projected  P   (T·B × 4H)  U x(t) + b for every step, blocks f, i, o, c̃
/// weight     W   (4H × H)    multiplies h(t−1)
/// state      h(0), c(0)  (B × H each)
/// outputs        (T·B × H)   h(1) … h(T);   final state h(T), c(T)
/// ```
public struct LSTMWindowKernel<Scalar: TensorScalar>: RecurrentWindowKernel {
    /// W (4H × H), the cell's recurrent weight.
    public let recurrentWeight: Parameter<Scalar>

    public init(_ cell: LSTMCell<Scalar>) { recurrentWeight = cell.recurrentWeight }

    public func callAsFunction(projected: Variable<Scalar>, steps: Int, state: LSTMState<Scalar>)
        -> (outputs: Variable<Scalar>, state: LSTMState<Scalar>) {
        let batch = state.hidden.shape[0]
        let all = lstmWindow(projected, recurrentWeight: projected.tape.parameter(recurrentWeight),
                             h0: state.hidden, c0: state.cell, steps: steps)
        return (slice(all, rows: 0..<(steps * batch)),
                LSTMState(hidden: slice(all, rows: ((steps - 1) * batch)..<(steps * batch)),
                          cell: slice(all, rows: (steps * batch)..<((steps + 1) * batch))))
    }

    /// One step with the element-wise half as two fused ops (``lstmCellState(_:previous:)``,
    /// ``lstmHiddenState(_:cell:)``): 4 tape nodes instead of 13, the same numbers as
    /// ``LSTMCell/step(projected:state:)`` bit for bit. For a caller that steps one word at
    /// a time and wants the speed (Chapter 9's taggers and encoder–decoder).
    public func fusedStep(projected: Variable<Scalar>, state: LSTMState<Scalar>) -> LSTMState<Scalar> {
        let a = matmul(state.hidden, projected.tape.parameter(recurrentWeight), transposeRight: true) + projected
        let c = lstmCellState(a, previous: state.cell)
        return LSTMState(hidden: lstmHiddenState(a, cell: c), cell: c)
    }
}

/// A ``GRUCell`` over a whole window as one op (``gruWindow(_:gateWeight:candidateWeight:h0:steps:)``:
/// forward ``gruWindowForward``, backward ``gruWindowBackward``). Shapes, T steps of a
/// batch of B, H hidden units:
/// ```
/// projected  P     (T·B × 3H)  U x(t) + b for every step, blocks z, r, ĥ
/// weights    W_zr  (2H × H)    W_z over W_r, multiply h(t−1)
///            W_h   (H × H)     multiplies r(t) ⊙ h(t−1)
/// state      h(0)  (B × H)
/// outputs          (T·B × H)   h(1) … h(T);   final state h(T)
/// ```
public struct GRUWindowKernel<Scalar: TensorScalar>: RecurrentWindowKernel {
    /// W_zr (2H × H) and W_h (H × H), the cell's recurrent weights.
    public let gateWeight: Parameter<Scalar>, candidateWeight: Parameter<Scalar>

    public init(_ cell: GRUCell<Scalar>) { (gateWeight, candidateWeight) = (cell.gateWeight, cell.candidateWeight) }

    public func callAsFunction(projected: Variable<Scalar>, steps: Int, state: HiddenState<Scalar>)
        -> (outputs: Variable<Scalar>, state: HiddenState<Scalar>) {
        let batch = state.hidden.shape[0], tape = projected.tape
        let all = gruWindow(projected, gateWeight: tape.parameter(gateWeight), candidateWeight: tape.parameter(candidateWeight),
                            h0: state.hidden, steps: steps)
        return (all, HiddenState(hidden: slice(all, rows: ((steps - 1) * batch)..<(steps * batch))))
    }
}

// MARK: - A recurrent weight's gradient over a window

/// h(t−1) for step t (0-based) of a window, (B × H): h(0) for the first step, else rows
/// (t−1)·B ..< t·B of `outputs` (h(1) … h(T) stacked).
func previousHidden<Scalar: TensorScalar>(_ t: Int, h0: Tensor<Scalar>, outputs: [Scalar]) -> Tensor<Scalar> {
    guard t > 0 else { return h0 }
    let stepSize = h0.count
    return Tensor(shape: h0.shape, scalars: Array(outputs[((t - 1) * stepSize)..<(t * stepSize)]))
}

/// The gradient of a recurrent weight W used as z(t) = h(t−1) Wᵀ + P(t) at every step of a
/// window: dz(t)ᵀ h(t−1) for t = T … 1 (the order of the steps' backward passes), handed
/// over as the step-by-step `matmul` does (`addStepGradient`). `upstream` holds every
/// step's ∂J/∂z(t) (T·B × width), `outputs` h(1) … h(T).
func stepWeightGradient<Scalar: TensorScalar>(
    upstream: [Scalar], width: Int, h0: Tensor<Scalar>, outputs: [Scalar], steps: Int, weight: Parameter<Scalar>?
) -> Tensor<Scalar>? {
    let batch = h0.rows, step = batch * width
    var dw: Tensor<Scalar>? = nil
    for t in (0..<steps).reversed() {
        let dz = Tensor(shape: [batch, width], scalars: Array(upstream[(t * step)..<((t + 1) * step)]))
        addStepGradient(upstream: dz, input: previousHidden(t, h0: h0, outputs: outputs), weight: weight, into: &dw)
    }
    return dw
}

// MARK: - The LSTM cell's element-wise half

/// c(t) = σ(z_f) ⊙ c(t−1) + σ(z_i) ⊙ tanh(z_c), where z (B × 4H) holds the four gates'
/// pre-activations side by side in the order f, i, o, c̃ (as ``LSTMCell`` stacks them).
/// One op for what the readable cell does with four slices, two sigmoids, a tanh, two
/// products and a sum; its gradient flows into z's f, i and c̃ blocks and into c(t−1).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func lstmCellState<Scalar>(_ z: Variable<Scalar>, previous c: Variable<Scalar>) -> Variable<Scalar> {
    let zv = z.value, cv = c.value
    let n = cv.columns, rows = cv.rows
    precondition(zv.rank == 2 && zv.rows == rows && zv.columns == 4 * n,
                 "lstmCellState: pre-activations of shape \(zv.shape) for a cell of shape \(cv.shape)")
    var f = [Scalar](repeating: 0, count: rows * n), i = f, g = f, out = f
    for r in 0..<rows {
        for j in 0..<n {
            let base = r * 4 * n, k = r * n + j
            f[k] = zv.scalars[base + j]
            i[k] = zv.scalars[base + n + j]
            g[k] = zv.scalars[base + 3 * n + j]
        }
    }
    f.withUnsafeMutableBufferPointer { Scalar.logistic($0) }
    i.withUnsafeMutableBufferPointer { Scalar.logistic($0) }
    g.withUnsafeMutableBufferPointer { Scalar.tanh($0) }
    for k in 0..<(rows * n) { out[k] = f[k] * cv.scalars[k] + i[k] * g[k] }
    return z.tape.record("c(t) = f ⊙ c(t−1) + i ⊙ c̃", inputs: [z, c], value: Tensor(shape: cv.shape, scalars: out)) { dc in
        var dz = [Scalar](repeating: 0, count: rows * 4 * n), dPrevious = [Scalar](repeating: 0, count: rows * n)
        for r in 0..<rows {
            for j in 0..<n {
                let k = r * n + j, base = r * 4 * n
                let d = dc.scalars[k]
                dz[base + j] = d * cv.scalars[k] * f[k] * (1 - f[k])
                dz[base + n + j] = d * g[k] * i[k] * (1 - i[k])
                dz[base + 3 * n + j] = d * i[k] * (1 - g[k] * g[k])
                dPrevious[k] = d * f[k]
            }
        }
        return [Tensor(shape: zv.shape, scalars: dz), Tensor(shape: cv.shape, scalars: dPrevious)]
    }
}

/// h(t) = σ(z_o) ⊙ tanh(c(t)), with z as in ``lstmCellState(_:previous:)``; its gradient
/// flows into z's o block and into c(t).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func lstmHiddenState<Scalar>(_ z: Variable<Scalar>, cell c: Variable<Scalar>) -> Variable<Scalar> {
    let zv = z.value, cv = c.value
    let n = cv.columns, rows = cv.rows
    precondition(zv.rank == 2 && zv.rows == rows && zv.columns == 4 * n,
                 "lstmHiddenState: pre-activations of shape \(zv.shape) for a cell of shape \(cv.shape)")
    var o = [Scalar](repeating: 0, count: rows * n), out = o
    var t = cv.scalars
    for r in 0..<rows { for j in 0..<n { o[r * n + j] = zv.scalars[r * 4 * n + 2 * n + j] } }
    o.withUnsafeMutableBufferPointer { Scalar.logistic($0) }
    t.withUnsafeMutableBufferPointer { Scalar.tanh($0) }
    for k in 0..<(rows * n) { out[k] = o[k] * t[k] }
    return z.tape.record("h(t) = o ⊙ tanh(c(t))", inputs: [z, c], value: Tensor(shape: cv.shape, scalars: out)) { dh in
        var dz = [Scalar](repeating: 0, count: rows * 4 * n), dc = [Scalar](repeating: 0, count: rows * n)
        for r in 0..<rows {
            for j in 0..<n {
                let k = r * n + j
                let d = dh.scalars[k]
                dz[r * 4 * n + 2 * n + j] = d * t[k] * o[k] * (1 - o[k])
                dc[k] = d * o[k] * (1 - t[k] * t[k])
            }
        }
        return [Tensor(shape: zv.shape, scalars: dz), Tensor(shape: cv.shape, scalars: dc)]
    }
}

// MARK: - A whole LSTM layer over a window

/// An LSTM layer run over `steps` time steps as one op: for t = 1 … T,
/// ```
/// z(t) = h(t−1) Wᵀ + P(t);   f, i, o = σ(z_f, z_i, z_o);   c̃ = tanh(z_c)
/// c(t) = f ⊙ c(t−1) + i ⊙ c̃;   h(t) = o ⊙ tanh(c(t))
/// ```
/// where P (T·B × 4H, time-major) holds every step's projected input U x(t) + b (see
/// ``RecurrentCell/projectInputs(_:)``) and W (4H × H) the recurrent weights, gate blocks
/// in the order f, i, o, c̃. The value is (T+1)·B × H: h(1) … h(T) stacked, then c(T).
///
/// The arithmetic is that of the readable ``LSTMCell/step(projected:state:)``, and of its
/// fused one-step form (``LSTMWindowKernel/fusedStep(projected:state:)``), step for step and
/// in the same order (a test checks values and gradients are identical to both, bit for bit);
/// what one op saves is the bookkeeping: 5 tape nodes and a dozen temporary tensors per
/// step, and gradients of 4H columns of which each op fills one to three blocks. The
/// gradient of W is handed over as the step-by-step `matmul` does (one product when it
/// is first read, see `GradientAccumulator.deferProduct`).
///
/// The B sequences of a batch never mix, so in both passes a large enough batch runs as
/// two halves on two threads, each half through all T steps with no waiting on the other;
/// always the same halves, so results do not depend on timing. The T steps' products with
/// W go through a ``RecurrentProduct`` (W packed once for the window, where that applies).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func lstmWindow<Scalar>(
    _ projected: Variable<Scalar>, recurrentWeight weight: Variable<Scalar>, h0: Variable<Scalar>, c0: Variable<Scalar>,
    steps: Int
) -> Variable<Scalar> {
    let pv = projected.value, wv = weight.value, hv0 = h0.value, cv0 = c0.value
    let batch = hv0.rows, n = hv0.columns, width = 4 * n
    precondition(steps > 0 && hv0.rank == 2 && cv0.shape == hv0.shape,
                 "lstmWindow: state of shapes \(hv0.shape), \(cv0.shape) for \(steps) steps")
    precondition(pv.shape == [steps * batch, width], "lstmWindow: projected inputs of shape \(pv.shape), expected \([steps * batch, width])")
    precondition(wv.shape == [width, n], "lstmWindow: W of shape \(wv.shape), expected \([width, n])")
    let stepSize = batch * n, gateStep = batch * width
    // Each half of the batch has at least 8 rows and enough work to pay for a thread.
    let work = batch >= 16 ? steps * batch * width * n : 0
    // Kept for the backward pass: the activated gates [σ(z_f) σ(z_i) σ(z_o) tanh(z_c)] of
    // every step, c(0) … c(T), tanh(c(1)) … tanh(c(T)); `out` is the value.
    var gates = [Scalar](repeating: 0, count: steps * gateStep)
    var cells = [Scalar](repeating: 0, count: (steps + 1) * stepSize)
    var tanhCells = [Scalar](repeating: 0, count: steps * stepSize)
    var out = [Scalar](repeating: 0, count: (steps + 1) * stepSize)
    cells.replaceSubrange(0..<stepSize, with: cv0.scalars)
    gates.withUnsafeMutableBufferPointer { gates in
        cells.withUnsafeMutableBufferPointer { cells in
            tanhCells.withUnsafeMutableBufferPointer { tanhCells in
                out.withUnsafeMutableBufferPointer { out in
                    pv.scalars.withUnsafeBufferPointer { p in
                        wv.scalars.withUnsafeBufferPointer { w in
                            hv0.scalars.withUnsafeBufferPointer { h0 in
                                let product = RecurrentProduct(weight: w.baseAddress!, n: width, k: n, transposed: true)
                                let g = UncheckedSendable((gates.baseAddress!, cells.baseAddress!, tanhCells.baseAddress!,
                                                           out.baseAddress!, p.baseAddress!, product, h0.baseAddress!))
                                forEachRowChunk(batch, work: work) { _, rows in
                                    let (gates, cells, tanhCells, out, p, product, h0) = g.value
                                    lstmWindowForward(steps: steps, batch: batch, n: n, rows: rows, p: p, product: product, h0: h0,
                                                      gates: gates, cells: cells, tanhCells: tanhCells, out: out)
                                }
                                (out.baseAddress! + steps * stepSize).update(from: cells.baseAddress! + steps * stepSize, count: stepSize)
                            }
                        }
                    }
                }
            }
        }
    }
    let parameter = weight.tape.nodes[weight.id].parameter
    let hiddenStates = out  // h(1) … h(T) (and c(T), unused), for W's gradient
    let (keptGates, keptCells, keptTanhCells) = (gates, cells, tanhCells)  // no longer changed
    return projected.tape.record("LSTM layer, \(steps) steps", inputs: [projected, weight, h0, c0],
                                 value: Tensor(shape: [(steps + 1) * batch, n], scalars: out)) { g in
        var dProjected = [Scalar](repeating: 0, count: steps * gateStep)
        var dh0 = [Scalar](repeating: 0, count: stepSize), dc0 = dh0
        dProjected.withUnsafeMutableBufferPointer { dz in
            dh0.withUnsafeMutableBufferPointer { dh0 in
                dc0.withUnsafeMutableBufferPointer { dc0 in
                    keptGates.withUnsafeBufferPointer { gates in
                        keptCells.withUnsafeBufferPointer { cells in
                            keptTanhCells.withUnsafeBufferPointer { tanhCells in
                                g.scalars.withUnsafeBufferPointer { g in
                                    wv.scalars.withUnsafeBufferPointer { w in
                                        // Two halves of the batch on two threads, as in the forward pass.
                                        let product = RecurrentProduct(weight: w.baseAddress!, n: n, k: width, transposed: false)
                                        let shared = UncheckedSendable((dz.baseAddress!, dh0.baseAddress!, dc0.baseAddress!,
                                                                        gates.baseAddress!, cells.baseAddress!,
                                                                        tanhCells.baseAddress!, g.baseAddress!))
                                        forEachRowChunk(batch, work: work) { _, rows in
                                            let (dz, dh0, dc0, gates, cells, tanhCells, g) = shared.value
                                            lstmWindowBackward(
                                                steps: steps, batch: batch, n: n, rows: rows, product: product, dz: dz,
                                                dh0: dh0, dc0: dc0, gates: gates, cells: cells, tanhCells: tanhCells, g: g)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let dw = stepWeightGradient(upstream: dProjected, width: width, h0: hv0, outputs: hiddenStates, steps: steps,
                                    weight: parameter)
        return [Tensor(shape: pv.shape, scalars: dProjected), dw,
                Tensor(shape: hv0.shape, scalars: dh0), Tensor(shape: cv0.shape, scalars: dc0)]
    }
}

/// The backward pass of ``lstmWindow(_:recurrentWeight:h0:c0:steps:)`` for the batch rows
/// `rows`, t = T … 1: fills their rows of dz (every step's ∂J/∂z(t)), dh0 and dc0. `g` is
/// the gradient of the op's value ((T+1)·B × H: h(1) … h(T), then c(T)); `product`
/// multiplies by W (dz(t) W, for the whole batch's B rows: see ``RecurrentProduct``).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func lstmWindowBackward<Scalar: TensorScalar>(
    steps: Int, batch: Int, n: Int, rows: Range<Int>, product: RecurrentProduct<Scalar>, dz: UnsafeMutablePointer<Scalar>,
    dh0: UnsafeMutablePointer<Scalar>, dc0: UnsafeMutablePointer<Scalar>,
    gates: UnsafePointer<Scalar>, cells: UnsafePointer<Scalar>, tanhCells: UnsafePointer<Scalar>,
    g: UnsafePointer<Scalar>
) {
    let width = 4 * n, stepSize = batch * n, gateStep = batch * width
    let (r0, count) = (rows.lowerBound, rows.count)
    let part = count * n  // these rows' elements of one step
    var dh = [Scalar](repeating: 0, count: part)           // ∂J/∂h(t)
    var dc = Array(UnsafeBufferPointer(start: g + steps * stepSize + r0 * n, count: part))  // ∂J/∂c(t), from outside at T
    var fromNext = [Scalar](repeating: 0, count: part)     // dz(t+1) W, into h(t)
    var dPrevious = [Scalar](repeating: 0, count: part)    // ∂J/∂c(t−1)
    for t in (0..<steps).reversed() {
        let above = g + t * stepSize + r0 * n
        for k in 0..<part { dh[k] = t == steps - 1 ? above[k] : above[k] + fromNext[k] }
        let base = t * stepSize + r0 * n
        for r in 0..<count {
            let row = gates + t * gateStep + (r0 + r) * width
            let drow = dz + t * gateStep + (r0 + r) * width
            for j in 0..<n {
                let k = r * n + j
                let (f, i, o, candidate) = (row[j], row[n + j], row[2 * n + j], row[3 * n + j])
                let tc = tanhCells[base + k], cPrevious = cells[base + k]
                // h(t) = o ⊙ tanh(c(t))
                let d = dh[k]
                drow[2 * n + j] = d * tc * o * (1 - o)
                // c(t) = f ⊙ c(t−1) + i ⊙ c̃ (c(t) also feeds c(t+1): dc)
                let dCell = dc[k] + d * o * (1 - tc * tc)
                drow[j] = dCell * cPrevious * f * (1 - f)
                drow[n + j] = dCell * candidate * i * (1 - i)
                drow[3 * n + j] = dCell * i * (1 - candidate * candidate)
                dPrevious[k] = dCell * f
            }
        }
        swap(&dc, &dPrevious)
        // z(t) = h(t−1) Wᵀ + P(t): dh(t−1) gets dz(t) W.
        fromNext.withUnsafeMutableBufferPointer { out in
            product(m: count, a: dz + t * gateStep + r0 * width, lda: width, c: out.baseAddress!, ldc: n, blasRows: batch)
        }
    }
    (dh0 + r0 * n).update(from: fromNext, count: part)
    (dc0 + r0 * n).update(from: dc, count: part)
}

// MARK: - A whole plain RNN layer over a window

/// A plain RNN layer run over `steps` time steps as one op: for t = 1 … T,
/// ```
/// h(t) = σ(h(t−1) W_hᵀ + P(t))
/// ```
/// where P (T·B × H, time-major) holds every step's projected input W_e x(t) + b₁ and σ
/// is the cell's `activation`. The value is h(1) … h(T) stacked (T·B × H).
///
/// As ``lstmWindow(_:recurrentWeight:h0:c0:steps:)`` for the LSTM: the arithmetic of
/// ``RNNCell/step(projected:state:)`` step for step, in the same order (a test checks
/// values and gradients are identical), W_h's gradient handed over as `matmul` does, both
/// passes in two halves of a large batch on two threads.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func rnnWindow<Scalar>(
    _ projected: Variable<Scalar>, recurrentWeight weight: Variable<Scalar>, h0: Variable<Scalar>, steps: Int,
    activation: RecurrentActivation
) -> Variable<Scalar> {
    let pv = projected.value, wv = weight.value, hv0 = h0.value
    let batch = hv0.rows, n = hv0.columns
    precondition(steps > 0 && hv0.rank == 2, "rnnWindow: state of shape \(hv0.shape) for \(steps) steps")
    precondition(pv.shape == [steps * batch, n], "rnnWindow: projected inputs of shape \(pv.shape), expected \([steps * batch, n])")
    precondition(wv.shape == [n, n], "rnnWindow: W_h of shape \(wv.shape) for H = \(n)")
    let stepSize = batch * n
    let work = batch >= 16 ? steps * batch * n * n : 0
    var out = [Scalar](repeating: 0, count: steps * stepSize)
    out.withUnsafeMutableBufferPointer { out in
        pv.scalars.withUnsafeBufferPointer { p in
            wv.scalars.withUnsafeBufferPointer { w in
                hv0.scalars.withUnsafeBufferPointer { h0 in
                    let product = RecurrentProduct(weight: w.baseAddress!, n: n, k: n, transposed: true)
                    let shared = UncheckedSendable((out.baseAddress!, p.baseAddress!, h0.baseAddress!))
                    forEachRowChunk(batch, work: work) { _, rows in
                        let (out, p, h0) = shared.value
                        rnnWindowForward(steps: steps, batch: batch, n: n, rows: rows, p: p, product: product, h0: h0,
                                         activation: activation, out: out)
                    }
                }
            }
        }
    }
    let parameter = weight.tape.nodes[weight.id].parameter
    let hiddenStates = out  // h(1) … h(T), for the backward pass and W_h's gradient
    return projected.tape.record("RNN layer, \(steps) steps", inputs: [projected, weight, h0],
                                 value: Tensor(shape: [steps * batch, n], scalars: out)) { g in
        var dProjected = [Scalar](repeating: 0, count: steps * stepSize)
        var dh0 = [Scalar](repeating: 0, count: stepSize)
        dProjected.withUnsafeMutableBufferPointer { dp in
            dh0.withUnsafeMutableBufferPointer { dh0 in
                hiddenStates.withUnsafeBufferPointer { hs in
                    g.scalars.withUnsafeBufferPointer { g in
                        wv.scalars.withUnsafeBufferPointer { w in
                            let product = RecurrentProduct(weight: w.baseAddress!, n: n, k: n, transposed: false)
                            let shared = UncheckedSendable((dp.baseAddress!, dh0.baseAddress!, hs.baseAddress!, g.baseAddress!))
                            forEachRowChunk(batch, work: work) { _, rows in
                                let (dp, dh0, hs, g) = shared.value
                                rnnWindowBackward(steps: steps, batch: batch, n: n, rows: rows, product: product,
                                                  activation: activation, dp: dp, dh0: dh0, hs: hs, g: g)
                            }
                        }
                    }
                }
            }
        }
        let dw = stepWeightGradient(upstream: dProjected, width: n, h0: hv0, outputs: hiddenStates, steps: steps,
                                    weight: parameter)
        return [Tensor(shape: pv.shape, scalars: dProjected), dw, Tensor(shape: hv0.shape, scalars: dh0)]
    }
}

/// The forward pass of ``RNNWindowKernel`` for the batch rows `rows` (all T steps):
/// out (T·B × H, written) gets h(1) … h(T). `product` multiplies by W_hᵀ (for the whole
/// batch's B rows: see ``RecurrentProduct``).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func rnnWindowForward<Scalar: TensorScalar>(
    steps: Int, batch: Int, n: Int, rows: Range<Int>, p: UnsafePointer<Scalar>, product: RecurrentProduct<Scalar>,
    h0: UnsafePointer<Scalar>, activation: RecurrentActivation, out: UnsafeMutablePointer<Scalar>
) {
    let stepSize = batch * n
    let (r0, count) = (rows.lowerBound, rows.count)
    for t in 0..<steps {
        let hPrevious = t == 0 ? h0 + r0 * n : UnsafePointer(out + (t - 1) * stepSize + r0 * n)
        let a = out + t * stepSize + r0 * n, pt = p + t * stepSize + r0 * n
        product(m: count, a: hPrevious, lda: n, c: a, ldc: n, blasRows: batch)
        for e in 0..<(count * n) { a[e] = a[e] + pt[e] }
        let h = UnsafeMutableBufferPointer(start: a, count: count * n)
        switch activation {
        case .tanh: Scalar.tanh(h)
        case .sigmoid: Scalar.logistic(h)
        }
    }
}

/// The backward pass of ``rnnWindow(_:recurrentWeight:h0:steps:activation:)`` for the batch
/// rows `rows`, t = T … 1: fills their rows of dp (every step's ∂J/∂a(t), the
/// pre-activation) and dh0. `hs` holds h(1) … h(T), `g` the gradient of the op's value;
/// `product` multiplies by W_h (for the whole batch's B rows).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func rnnWindowBackward<Scalar: TensorScalar>(
    steps: Int, batch: Int, n: Int, rows: Range<Int>, product: RecurrentProduct<Scalar>, activation: RecurrentActivation,
    dp: UnsafeMutablePointer<Scalar>, dh0: UnsafeMutablePointer<Scalar>, hs: UnsafePointer<Scalar>, g: UnsafePointer<Scalar>
) {
    let stepSize = batch * n
    let (r0, count) = (rows.lowerBound, rows.count)
    let part = count * n  // these rows' elements of one step
    var fromNext = [Scalar](repeating: 0, count: part)  // da(t+1) W_h, into h(t)
    for t in (0..<steps).reversed() {
        let above = g + t * stepSize + r0 * n, h = hs + t * stepSize + r0 * n, da = dp + t * stepSize + r0 * n
        for k in 0..<part {
            let d = t == steps - 1 ? above[k] : above[k] + fromNext[k]  // ∂J/∂h(t)
            switch activation {
            case .tanh: da[k] = d * (1 - h[k] * h[k])
            case .sigmoid: da[k] = d * h[k] * (1 - h[k])
            }
        }
        // a(t) = h(t−1) W_hᵀ + P(t): dh(t−1) gets da(t) W_h.
        fromNext.withUnsafeMutableBufferPointer { out in
            product(m: count, a: da, lda: n, c: out.baseAddress!, ldc: n, blasRows: batch)
        }
    }
    (dh0 + r0 * n).update(from: fromNext, count: part)
}

// MARK: - A whole GRU layer over a window

/// A GRU layer run over `steps` time steps as one op: for t = 1 … T,
/// ```
/// z = σ(P_z(t) + W_z h(t−1));   r = σ(P_r(t) + W_r h(t−1))
/// ĥ = tanh(P_h(t) + W_h (r ⊙ h(t−1)));   h(t) = (1 − z) ⊙ h(t−1) + z ⊙ ĥ
/// ```
/// where P (T·B × 3H, time-major) holds every step's projected input U x(t) + b in the
/// blocks z, r, ĥ (see ``GRUCell``), `gateWeight` is W_zr (2H × H: W_z over W_r) and
/// `candidateWeight` W_h (H × H). The value is h(1) … h(T) stacked (T·B × H).
///
/// As ``lstmWindow(_:recurrentWeight:h0:c0:steps:)`` for the LSTM: the arithmetic of
/// ``GRUCell/step(projected:state:)`` step for step, in the same order (a test checks
/// values and gradients are identical), the weights' gradients handed over as `matmul`
/// does, both passes in two halves of a large batch on two threads.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func gruWindow<Scalar>(
    _ projected: Variable<Scalar>, gateWeight: Variable<Scalar>, candidateWeight: Variable<Scalar>,
    h0: Variable<Scalar>, steps: Int
) -> Variable<Scalar> {
    let pv = projected.value, wzr = gateWeight.value, wh = candidateWeight.value, hv0 = h0.value
    let batch = hv0.rows, n = hv0.columns, width = 3 * n
    precondition(steps > 0 && hv0.rank == 2, "gruWindow: state of shape \(hv0.shape) for \(steps) steps")
    precondition(pv.shape == [steps * batch, width], "gruWindow: projected inputs of shape \(pv.shape), expected \([steps * batch, width])")
    precondition(wzr.shape == [2 * n, n] && wh.shape == [n, n],
                 "gruWindow: W_zr of shape \(wzr.shape) and W_h of shape \(wh.shape) for H = \(n)")
    let stepSize = batch * n
    let work = batch >= 16 ? steps * batch * 3 * n * n : 0
    // Kept for the backward pass, per step: z, r, ĥ (activated) and r ⊙ h(t−1).
    var gates = [Scalar](repeating: 0, count: steps * batch * width)
    var resetHidden = [Scalar](repeating: 0, count: steps * stepSize)
    var out = [Scalar](repeating: 0, count: steps * stepSize)
    gates.withUnsafeMutableBufferPointer { gates in
        resetHidden.withUnsafeMutableBufferPointer { resetHidden in
            out.withUnsafeMutableBufferPointer { out in
                pv.scalars.withUnsafeBufferPointer { p in
                    wzr.scalars.withUnsafeBufferPointer { wzr in
                        wh.scalars.withUnsafeBufferPointer { wh in
                            hv0.scalars.withUnsafeBufferPointer { h0 in
                                let gateProduct = RecurrentProduct(weight: wzr.baseAddress!, n: 2 * n, k: n, transposed: true)
                                let candidateProduct = RecurrentProduct(weight: wh.baseAddress!, n: n, k: n, transposed: true)
                                let shared = UncheckedSendable((gates.baseAddress!, resetHidden.baseAddress!, out.baseAddress!,
                                                                p.baseAddress!, gateProduct, candidateProduct, h0.baseAddress!))
                                forEachRowChunk(batch, work: work) { _, rows in
                                    let (gates, resetHidden, out, p, gateProduct, candidateProduct, h0) = shared.value
                                    gruWindowForward(steps: steps, batch: batch, n: n, rows: rows, p: p, gateProduct: gateProduct,
                                                     candidateProduct: candidateProduct, h0: h0,
                                                     gates: gates, resetHidden: resetHidden, out: out)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    let gateParameter = gateWeight.tape.nodes[gateWeight.id].parameter
    let candidateParameter = candidateWeight.tape.nodes[candidateWeight.id].parameter
    let (keptGates, keptResetHidden, hiddenStates) = (gates, resetHidden, out)  // no longer changed
    return projected.tape.record("GRU layer, \(steps) steps", inputs: [projected, gateWeight, candidateWeight, h0],
                                 value: Tensor(shape: [steps * batch, n], scalars: out)) { g in
        var dProjected = [Scalar](repeating: 0, count: steps * batch * width)
        var dh0 = [Scalar](repeating: 0, count: stepSize)
        dProjected.withUnsafeMutableBufferPointer { dp in
            dh0.withUnsafeMutableBufferPointer { dh0 in
                keptGates.withUnsafeBufferPointer { gates in
                    keptResetHidden.withUnsafeBufferPointer { resetHidden in
                        hiddenStates.withUnsafeBufferPointer { hs in
                            hv0.scalars.withUnsafeBufferPointer { h0 in
                                g.scalars.withUnsafeBufferPointer { g in
                                    wzr.scalars.withUnsafeBufferPointer { wzr in
                                        wh.scalars.withUnsafeBufferPointer { wh in
                                            // Two halves of the batch on two threads, as in the forward pass.
                                            let candidateProduct = RecurrentProduct(weight: wh.baseAddress!, n: n, k: n, transposed: false)
                                            let gateProduct = RecurrentProduct(weight: wzr.baseAddress!, n: n, k: 2 * n, transposed: false)
                                            let shared = UncheckedSendable((dp.baseAddress!, dh0.baseAddress!, gates.baseAddress!,
                                                                            resetHidden.baseAddress!, hs.baseAddress!,
                                                                            h0.baseAddress!, g.baseAddress!))
                                            forEachRowChunk(batch, work: work) { _, rows in
                                                let (dp, dh0, gates, resetHidden, hs, h0, g) = shared.value
                                                gruWindowBackward(
                                                    steps: steps, batch: batch, n: n, rows: rows, dp: dp, dh0: dh0, gates: gates,
                                                    resetHidden: resetHidden, hs: hs, h0: h0, g: g,
                                                    candidateProduct: candidateProduct, gateProduct: gateProduct)
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // The weights' gradients, t = T … 1 (the order of the steps' backward passes):
        // W_h gets dâᵀ (r ⊙ h(t−1)), W_zr gets [dz dr]ᵀ h(t−1) (â, z, r: pre-activations).
        var dzr: Tensor<Scalar>? = nil, dh: Tensor<Scalar>? = nil
        for t in (0..<steps).reversed() {
            var blocks = [Scalar](), candidate = [Scalar]()
            blocks.reserveCapacity(stepSize * 2)
            candidate.reserveCapacity(stepSize)
            for r in 0..<batch {
                let row = (t * batch + r) * width
                blocks += dProjected[row..<(row + 2 * n)]
                candidate += dProjected[(row + 2 * n)..<(row + width)]
            }
            let dCandidate = Tensor(shape: [batch, n], scalars: candidate), dGates = Tensor(shape: [batch, 2 * n], scalars: blocks)
            let rh = Tensor(shape: [batch, n], scalars: Array(keptResetHidden[(t * stepSize)..<((t + 1) * stepSize)]))
            addStepGradient(upstream: dCandidate, input: rh, weight: candidateParameter, into: &dh)
            addStepGradient(upstream: dGates, input: previousHidden(t, h0: hv0, outputs: hiddenStates),
                            weight: gateParameter, into: &dzr)
        }
        return [Tensor(shape: pv.shape, scalars: dProjected), dzr, dh, Tensor(shape: hv0.shape, scalars: dh0)]
    }
}

/// The backward pass of ``gruWindow(_:gateWeight:candidateWeight:h0:steps:)`` for the
/// batch rows `rows`, t = T … 1: fills their rows of dp (every step's ∂J/∂[a_z a_r a_ĥ],
/// the pre-activations) and dh0. Each step adds the contributions to ∂J/∂h(t−1) in the
/// order the step-by-step tape does: from above, through (1 − z) ⊙ h(t−1), through
/// r ⊙ h(t−1), through W_zr h(t−1). The products multiply by W_h and W_zr (for the whole
/// batch's B rows: see ``RecurrentProduct``).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func gruWindowBackward<Scalar: TensorScalar>(
    steps: Int, batch: Int, n: Int, rows: Range<Int>, dp: UnsafeMutablePointer<Scalar>, dh0: UnsafeMutablePointer<Scalar>,
    gates: UnsafePointer<Scalar>, resetHidden: UnsafePointer<Scalar>, hs: UnsafePointer<Scalar>,
    h0: UnsafePointer<Scalar>, g: UnsafePointer<Scalar>,
    candidateProduct: RecurrentProduct<Scalar>, gateProduct: RecurrentProduct<Scalar>
) {
    let width = 3 * n, stepSize = batch * n
    let (r0, count) = (rows.lowerBound, rows.count)
    let part = count * n  // these rows' elements of one step
    var dh = Array(UnsafeBufferPointer(start: g + (steps - 1) * stepSize + r0 * n, count: part))  // ∂J/∂h(T)
    var dResetHidden = [Scalar](repeating: 0, count: part)
    var fromGates = [Scalar](repeating: 0, count: part)
    for t in (0..<steps).reversed() {
        let hPrevious = (t == 0 ? h0 : hs + (t - 1) * stepSize) + r0 * n
        // ∂J/∂h(t−1), starting from what reaches h(t−1) from above (none for h(0)).
        var next = t == 0 ? [Scalar](repeating: 0, count: part)
                          : Array(UnsafeBufferPointer(start: g + (t - 1) * stepSize + r0 * n, count: part))
        for r in 0..<count {
            let row = gates + (t * batch + r0 + r) * width, drow = dp + (t * batch + r0 + r) * width
            for j in 0..<n {
                let k = r * n + j
                let (z, c, d) = (row[j], row[2 * n + j], dh[k])
                // h(t) = (1 − z) ⊙ h(t−1) + z ⊙ ĥ
                let dz = d * c + -(d * hPrevious[k])
                next[k] = next[k] + d * (1 - z)
                // ĥ = tanh(a_ĥ)
                drow[2 * n + j] = d * z * (1 - c * c)
                drow[j] = dz * z * (1 - z)
            }
        }
        // a_ĥ = P_ĥ + (r ⊙ h(t−1)) W_hᵀ: d(r ⊙ h(t−1)) = dâ W_h (dâ: the ĥ block of dp's rows).
        dResetHidden.withUnsafeMutableBufferPointer { out in
            candidateProduct(m: count, a: dp + (t * batch + r0) * width + 2 * n, lda: width, c: out.baseAddress!, ldc: n,
                             blasRows: batch)
        }
        for r in 0..<count {
            let row = gates + (t * batch + r0 + r) * width, drow = dp + (t * batch + r0 + r) * width
            for j in 0..<n {
                let k = r * n + j
                let reset = row[n + j]
                // r ⊙ h(t−1)
                let dr = dResetHidden[k] * hPrevious[k]
                next[k] = next[k] + dResetHidden[k] * reset
                drow[n + j] = dr * reset * (1 - reset)
            }
        }
        // [a_z a_r] = P_zr + h(t−1) W_zrᵀ: dh(t−1) += [dz dr] W_zr (the first two blocks of dp's rows).
        fromGates.withUnsafeMutableBufferPointer { out in
            gateProduct(m: count, a: dp + (t * batch + r0) * width, lda: width, c: out.baseAddress!, ldc: n, blasRows: batch)
        }
        for k in 0..<part { next[k] = next[k] + fromGates[k] }
        dh = next
    }
    (dh0 + r0 * n).update(from: dh, count: part)
}

/// The forward pass of ``LSTMWindowKernel`` for the batch rows `rows` (all T steps): the
/// llm.c-style half of the pair whose other half is ``lstmWindowBackward``. Shapes, time-major:
/// p (T·B × 4H): the projected inputs U x(t) + b;  w (4H × H): W;  h0 (B × H): h(0);
/// gates (T·B × 4H, written): σ(a_f) σ(a_i) σ(a_o) tanh(a_c) of every step;
/// cells ((T+1)·B × H): c(0) (given) … c(T) (written);  tanhCells (T·B × H, written):
/// tanh(c(1)) … tanh(c(T));  out ((T+1)·B × H, written): h(1) … h(T) (the last B rows,
/// c(T), are the caller's).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func lstmWindowForward<Scalar: TensorScalar>(
    steps: Int, batch: Int, n: Int, rows: Range<Int>, p: UnsafePointer<Scalar>, product: RecurrentProduct<Scalar>,
    h0: UnsafePointer<Scalar>, gates: UnsafeMutablePointer<Scalar>, cells: UnsafeMutablePointer<Scalar>,
    tanhCells: UnsafeMutablePointer<Scalar>, out: UnsafeMutablePointer<Scalar>
) {
    let width = 4 * n, stepSize = batch * n, gateStep = batch * width
    let (r0, count) = (rows.lowerBound, rows.count)
    for t in 0..<steps {
        let z = gates + t * gateStep + r0 * width
        let hPrevious = t == 0 ? h0 + r0 * n : UnsafePointer(out + (t - 1) * stepSize + r0 * n)
        product(m: count, a: hPrevious, lda: n, c: z, ldc: width)
        let pt = p + t * gateStep + r0 * width
        for e in 0..<(count * width) { z[e] = z[e] + pt[e] }
        for r in 0..<count {
            Scalar.logistic(UnsafeMutableBufferPointer(start: z + r * width, count: 3 * n))
            Scalar.tanh(UnsafeMutableBufferPointer(start: z + r * width + 3 * n, count: n))
        }
        let cPrevious = cells + t * stepSize + r0 * n, c = cells + (t + 1) * stepSize + r0 * n
        for r in 0..<count {
            let row = z + r * width
            for j in 0..<n {
                let k = r * n + j
                c[k] = row[j] * cPrevious[k] + row[n + j] * row[3 * n + j]
            }
        }
        let tc = tanhCells + t * stepSize + r0 * n
        tc.update(from: c, count: count * n)
        Scalar.tanh(UnsafeMutableBufferPointer(start: tc, count: count * n))
        let h = out + t * stepSize + r0 * n
        for r in 0..<count {
            let row = z + r * width
            for j in 0..<n {
                let k = r * n + j
                h[k] = row[2 * n + j] * tc[k]
            }
        }
    }
}

/// The forward pass of ``GRUWindowKernel`` for the batch rows `rows` (all T steps): the
/// llm.c-style half of the pair whose other half is ``gruWindowBackward``. Shapes, time-major:
/// p (T·B × 3H): the projected inputs U x(t) + b;  wzr (2H × H): W_zr = [W_z; W_r];
/// wh (H × H): W_h;  h0 (B × H): h(0);  gates (T·B × 3H, written): z, r, ĥ (activated) of
/// every step;  resetHidden (T·B × H, written): r ⊙ h(t−1);  out (T·B × H, written):
/// h(1) … h(T).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func gruWindowForward<Scalar: TensorScalar>(
    steps: Int, batch: Int, n: Int, rows: Range<Int>, p: UnsafePointer<Scalar>, gateProduct: RecurrentProduct<Scalar>,
    candidateProduct: RecurrentProduct<Scalar>, h0: UnsafePointer<Scalar>, gates: UnsafeMutablePointer<Scalar>,
    resetHidden: UnsafeMutablePointer<Scalar>, out: UnsafeMutablePointer<Scalar>
) {
    let width = 3 * n, stepSize = batch * n
    let (r0, count) = (rows.lowerBound, rows.count)
    var recurrent = [Scalar](repeating: 0, count: count * 2 * n)
    var candidate = [Scalar](repeating: 0, count: count * n)
    for t in 0..<steps {
        let hPrevious = t == 0 ? h0 + r0 * n : UnsafePointer(out + (t - 1) * stepSize + r0 * n)
        let g = gates + (t * batch + r0) * width, pt = p + (t * batch + r0) * width
        let rh = resetHidden + t * stepSize + r0 * n, h = out + t * stepSize + r0 * n
        recurrent.withUnsafeMutableBufferPointer { rec in
            gateProduct(m: count, a: hPrevious, lda: n, c: rec.baseAddress!, ldc: 2 * n)
            for r in 0..<count {
                for j in 0..<(2 * n) { g[r * width + j] = pt[r * width + j] + rec[r * 2 * n + j] }
                Scalar.logistic(UnsafeMutableBufferPointer(start: g + r * width, count: 2 * n))
                for j in 0..<n { rh[r * n + j] = g[r * width + n + j] * hPrevious[r * n + j] }
            }
        }
        candidate.withUnsafeMutableBufferPointer { cand in
            candidateProduct(m: count, a: rh, lda: n, c: cand.baseAddress!, ldc: n)
            for r in 0..<count {
                for j in 0..<n { g[r * width + 2 * n + j] = pt[r * width + 2 * n + j] + cand[r * n + j] }
                Scalar.tanh(UnsafeMutableBufferPointer(start: g + r * width + 2 * n, count: n))
                for j in 0..<n {
                    let (z, c, k) = (g[r * width + j], g[r * width + 2 * n + j], r * n + j)
                    h[k] = (1 - z) * hPrevious[k] + z * c
                }
            }
        }
    }
}
