import Dispatch

/// Ops that fuse several steps of the readable ops in `Ops.swift` into one, for speed.
/// Each has the unfused composition as its reference: a test checks that both give the
/// same value and the same gradients.

/// Settings of the fused kernels.
public enum FusedKernels {
    /// 2: large fused ops run their parts on two threads (the default); 1: one part after
    /// the other on the calling thread (then BLAS's own threads may speed up the fast
    /// kernels' products). The parts are the same either way, so the results are too.
    nonisolated(unsafe) public static var threads = 2
}

/// A box for a buffer that the backward pass takes over, so it can be overwritten in
/// place instead of copied (the closure would otherwise hold a second reference).
private final class BufferBox<Scalar: TensorScalar>: @unchecked Sendable {
    var scalars: [Scalar]
    init(_ scalars: [Scalar]) { self.scalars = scalars }
    func take() -> [Scalar] {
        var out: [Scalar] = []
        swap(&out, &scalars)
        return out
    }
}

/// Splits `count` rows into at most `parts` contiguous ranges, the same way every time
/// (so results depend on neither thread timing nor ``FusedKernels/threads``), and runs
/// `body` on each range, in parallel when there is enough work and two threads.
func forEachRowChunk(_ count: Int, work: Int, parts: Int = 2, _ body: (Int, Range<Int>) -> Void) {
    let chunks = work >= 1 << 18 ? Swift.max(1, Swift.min(parts, count)) : 1
    let ranges = (0..<chunks).map { c in (count * c / chunks)..<(count * (c + 1) / chunks) }
    if chunks == 1 || FusedKernels.threads <= 1 {
        for c in 0..<chunks { body(c, ranges[c]) }
        return
    }
    withoutActuallyEscaping(body) { body in
        let call = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in call.value(c, ranges[c]) }
    }
}

struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// One step's gradient of a recurrent weight W used as C = A Wᵀ, dCᵀ A, handed over as
/// `matmul` would: deferred to W's parameter when W is one and A has few rows (see
/// `GradientAccumulator.deferProduct`), else added into `sum`, the gradient the op returns for W.
/// Called for t = T … 1, the order of the step-by-step backward passes.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func addStepGradient<Scalar: TensorScalar>(
    upstream: Tensor<Scalar>, input: Tensor<Scalar>, weight: Parameter<Scalar>?, into sum: inout Tensor<Scalar>?
) {
    if let weight, input.rows <= GradientAccumulator<Scalar>.deferredRows {
        weight.accumulator.deferProduct(upstream: upstream, other: input, transposed: true)
    } else if sum == nil {
        sum = gemm(upstream, input, transposeA: true)
    } else {
        sum!.add(gemm(upstream, input, transposeA: true))
    }
}

/// The output layer of a language model and its loss in one op:
/// ```
/// logits = h Wᵀ + b;   J = −(1/N) Σ_i log softmax(logits_i)[labels_i]
/// ```
/// the same as `softmaxCrossEntropy(logits: matmul(h, W, transposeRight: true) + b, …)`.
/// h is (N × H), W is (V × H) (as ``Linear`` stores it), b is (V) or nil. A negative
/// label marks a padding row: it adds nothing to the loss or the gradients, and N counts
/// only the other rows.
///
/// What the fusion saves at vocabulary size: the (N × V) logits are written once by the
/// product and then turned into probabilities in place, row by row while the row is in
/// cache; the backward pass overwrites the same buffer with the logits' gradient and adds
/// its product with h straight into W's gradient. Large enough, every stage runs as two
/// halves on two threads (the products split by classes, the softmax by rows), always
/// the same two halves, so results do not depend on the machine; call it with
/// `BLAS.threads = 1`, or the two halves compete for BLAS's own threads.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func linearSoftmaxCrossEntropy<Scalar>(
    _ h: Variable<Scalar>, weight: Variable<Scalar>, bias: Variable<Scalar>?, labels: [Int]
) -> Variable<Scalar> {
    let hv = h.value, wv = weight.value
    precondition(hv.rank == 2 && wv.rank == 2 && hv.columns == wv.columns,
                 "linearSoftmaxCrossEntropy: h of shape \(hv.shape) and W of shape \(wv.shape) do not chain")
    precondition(hv.rows == labels.count, "linearSoftmaxCrossEntropy: \(hv.rows) rows for \(labels.count) labels")
    let n = hv.rows, v = wv.rows, k = hv.columns
    let bv = bias?.value
    if let bv { precondition(bv.shape == [v], "linearSoftmaxCrossEntropy: bias of shape \(bv.shape) for \(v) classes") }
    for label in labels { precondition(label < v, "linearSoftmaxCrossEntropy: label \(label) outside 0..<\(v)") }

    // logits = h Wᵀ, as two products side by side (classes split in halves), one per thread.
    var buffer = [Scalar](unsafeUninitializedCapacity: n * v) { out, initialized in
        if n > 0 && v > 0 && k > 0 {
            hv.scalars.withUnsafeBufferPointer { ph in
                wv.scalars.withUnsafeBufferPointer { pw in
                    let (ph, pw, pc) = (UncheckedSendable(ph.baseAddress!), UncheckedSendable(pw.baseAddress!),
                                        UncheckedSendable(out.baseAddress!))
                    forEachRowChunk(v, work: n * v) { _, classes in
                        Scalar.gemm(transposeA: false, transposeB: true, m: n, n: classes.count, k: k, alpha: 1,
                                    a: ph.value, lda: k, b: pw.value + classes.lowerBound * k, ldb: k, beta: 0,
                                    c: pc.value + classes.lowerBound, ldc: v)
                    }
                }
            }
        } else {
            out.initialize(repeating: 0)
        }
        initialized = n * v
    }
    // Row by row: add the bias, subtract the row's maximum, exponentiate, and keep
    // 1 / Σ exp for the backward pass; the loss needs log Σ exp − (x[label] − max).
    var inverseSums = [Scalar](repeating: 0, count: n)
    var rowLosses = [Scalar](repeating: 0, count: n)
    let bias0: [Scalar] = bv?.scalars ?? []
    buffer.withUnsafeMutableBufferPointer { o in
        inverseSums.withUnsafeMutableBufferPointer { inv in
            rowLosses.withUnsafeMutableBufferPointer { losses in
                bias0.withUnsafeBufferPointer { b in
                    let (o, inv, losses, b) = (UncheckedSendable(o), UncheckedSendable(inv), UncheckedSendable(losses), UncheckedSendable(b))
                    forEachRowChunk(n, work: n * v) { _, rows in
                        for r in rows {
                            let row = UnsafeMutableBufferPointer(rebasing: o.value[(r * v)..<((r + 1) * v)])
                            let label = labels[r]
                            let z = label >= 0 ? row[label] + (b.value.isEmpty ? 0 : b.value[label]) : 0
                            let (largest, total) = Scalar.shiftedExponentials(row, bias: b.value.isEmpty ? nil : b.value)
                            let labelLogit = z - largest  // x[label] − max, before exponentiating
                            inv.value[r] = 1 / total
                            losses.value[r] = labels[r] >= 0 ? Scalar.log(total) - labelLogit : 0
                        }
                    }
                }
            }
        }
    }
    let counted = labels.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) }
    let count = Scalar(Swift.max(counted, 1))
    let loss = rowLosses.reduce(0, +) / count
    let box = BufferBox(buffer)
    buffer = []
    let parameter = weight.tape.nodes[weight.id].parameter
    let inputs = [h, weight] + (bias.map { [$0] } ?? [])
    let hasBias = bias != nil  // (the closure must not hold a Variable: it would keep its tape alive)
    return h.tape.record("linear + cross-entropy", inputs: inputs, value: Tensor(loss)) { g in
        // d logits = (softmax − onehot) · g / N, written over the kept exponentials;
        // db = column sums of d logits (per chunk, then added in chunk order).
        var d = box.take()
        let scale = g.scalar / count
        let chunks = 2
        var partialBias = [Scalar](repeating: 0, count: hasBias ? chunks * v : 0)
        d.withUnsafeMutableBufferPointer { o in
            partialBias.withUnsafeMutableBufferPointer { pb in
                let (o, pb) = (UncheckedSendable(o), UncheckedSendable(pb))
                forEachRowChunk(n, work: n * v, parts: chunks) { c, rows in
                    for r in rows {
                        let row = UnsafeMutableBufferPointer(rebasing: o.value[(r * v)..<((r + 1) * v)])
                        let factor = labels[r] >= 0 ? inverseSums[r] * scale : 0
                        for j in 0..<v { row[j] *= factor }
                        if labels[r] >= 0 { row[labels[r]] -= scale }
                        if !pb.value.isEmpty {
                            let sums = UnsafeMutableBufferPointer(rebasing: pb.value[(c * v)..<((c + 1) * v)])
                            for j in 0..<v { sums[j] += row[j] }
                        }
                    }
                }
            }
        }
        var db: Tensor<Scalar>? = nil
        if hasBias {
            var sums = [Scalar](repeating: 0, count: v)
            for c in 0..<chunks { for j in 0..<v { sums[j] += partialBias[c * v + j] } }
            db = Tensor(shape: [v], scalars: sums)
        }
        // dh = d logits · W, split over the two halves of the classes (a partial dh per
        // half, added in order). dW += d logitsᵀ h: when W is a parameter, as one product
        // on another thread, while the backward sweep goes on through the recurrent
        // layers on this one (it needs dh, not dW); the optimizer's first read of the
        // gradient waits for it.
        var partialDh = [Scalar](repeating: 0, count: 2 * n * k)
        let logitsGradient = d
        if n > 0 && v > 0 && k > 0 {
            logitsGradient.withUnsafeBufferPointer { pd in
                wv.scalars.withUnsafeBufferPointer { pw in
                    partialDh.withUnsafeMutableBufferPointer { pdh in
                        let (pd, pw, pdh) = (UncheckedSendable(pd.baseAddress!), UncheckedSendable(pw.baseAddress!),
                                             UncheckedSendable(pdh.baseAddress!))
                        forEachRowChunk(v, work: n * v) { c, classes in
                            let lo = classes.lowerBound
                            Scalar.gemm(transposeA: false, transposeB: false, m: n, n: k, k: classes.count, alpha: 1,
                                        a: pd.value + lo, lda: v, b: pw.value + lo * k, ldb: k, beta: 0,
                                        c: pdh.value + c * n * k, ldc: k)
                        }
                    }
                }
            }
        }
        // dW in pieces of classes (rows of W), each its own product: the same numbers
        // whichever thread computes a piece.
        let pieces = Swift.max(1, Swift.min(16, v / 64))
        let weightGradient: (Int, UnsafeMutableBufferPointer<Scalar>) -> Void = { piece, gradient in
            let classes = (v * piece / pieces)..<(v * (piece + 1) / pieces)
            guard n > 0 && k > 0 && !classes.isEmpty else { return }
            logitsGradient.withUnsafeBufferPointer { pd in
                hv.scalars.withUnsafeBufferPointer { ph in
                    Scalar.gemm(transposeA: true, transposeB: false, m: classes.count, n: k, k: n, alpha: 1,
                                a: pd.baseAddress! + classes.lowerBound, lda: v, b: ph.baseAddress!, ldb: k, beta: 1,
                                c: gradient.baseAddress! + classes.lowerBound * k, ldc: k)
                }
            }
        }
        let allPieces: (UnsafeMutableBufferPointer<Scalar>) -> Void = { gradient in
            for piece in 0..<pieces { weightGradient(piece, gradient) }
        }
        var dw: Tensor<Scalar>? = nil
        if let parameter {
            if FusedKernels.threads > 1 && n * v >= 1 << 18 {
                parameter.accumulator.addInBackground(parts: pieces, weightGradient)
            } else {
                parameter.accumulator.addInPlace(allPieces)
            }
        } else {
            var w = Tensor<Scalar>.zeros(wv.shape)
            w.scalars.withUnsafeMutableBufferPointer { allPieces($0) }
            dw = w
        }
        var dhScalars = Array(partialDh[0..<(n * k)])
        for i in 0..<(n * k) { dhScalars[i] += partialDh[n * k + i] }  // (zeros when run as one part)
        let dh = Tensor(shape: [n, k], scalars: dhScalars)
        return [dh, dw] + (hasBias ? [db] : [])
    }
}

// MARK: - The LSTM cell's element-wise half

/// c(t) = σ(z_f) ⊙ c(t−1) + σ(z_i) ⊙ tanh(z_c), where z (B × 4H) holds the four gates'
/// pre-activations side by side in the order f, i, o, c̃ (as ``LSTMCell`` stacks them).
/// One op for what the readable cell does with four slices, two sigmoids, a tanh, two
/// products and a sum; its gradient flows into z's f, i and c̃ blocks and into c(t−1).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func lstmCellState<Scalar>(_ z: Variable<Scalar>, previous c: Variable<Scalar>) -> Variable<Scalar> {
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
public func lstmHiddenState<Scalar>(_ z: Variable<Scalar>, cell c: Variable<Scalar>) -> Variable<Scalar> {
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
/// The arithmetic is that of ``LSTMCell/step(projected:state:)`` with its fused ops, and
/// of the readable ``LSTMCell/readableStep(projected:state:)``, step for step and in the
/// same order (a test checks values and gradients are identical to both, bit for bit);
/// what one op saves is the bookkeeping: 5 tape nodes and a dozen temporary tensors per
/// step, and gradients of 4H columns of which each op fills one to three blocks. The
/// gradient of W is handed over as the step-by-step `matmul` does (one product when it
/// is first read, see `GradientAccumulator.deferProduct`).
///
/// The B sequences of a batch never mix, so in the forward pass a large enough batch
/// runs as two halves on two threads, each half through all T steps with no waiting on
/// the other; always the same halves, so results do not depend on timing. The backward
/// pass runs on one thread: in training the other is computing the output layer's dW.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func lstmSequence<Scalar>(
    _ projected: Variable<Scalar>, recurrentWeight weight: Variable<Scalar>, h0: Variable<Scalar>, c0: Variable<Scalar>,
    steps: Int
) -> Variable<Scalar> {
    let pv = projected.value, wv = weight.value, hv0 = h0.value, cv0 = c0.value
    let batch = hv0.rows, n = hv0.columns, width = 4 * n
    precondition(steps > 0 && hv0.rank == 2 && cv0.shape == hv0.shape,
                 "lstmSequence: state of shapes \(hv0.shape), \(cv0.shape) for \(steps) steps")
    precondition(pv.shape == [steps * batch, width], "lstmSequence: projected inputs of shape \(pv.shape), expected \([steps * batch, width])")
    precondition(wv.shape == [width, n], "lstmSequence: W of shape \(wv.shape), expected \([width, n])")
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
                                let g = UncheckedSendable((gates.baseAddress!, cells.baseAddress!, tanhCells.baseAddress!,
                                                           out.baseAddress!, p.baseAddress!, w.baseAddress!, h0.baseAddress!))
                                forEachRowChunk(batch, work: work) { _, rows in
                                    let (gates, cells, tanhCells, out, p, w, h0) = g.value
                                    let (r0, count) = (rows.lowerBound, rows.count)
                                    for t in 0..<steps {
                                        let z = gates + t * gateStep + r0 * width
                                        let hPrevious = t == 0 ? h0 + r0 * n : UnsafePointer(out + (t - 1) * stepSize + r0 * n)
                                        if n > 0 && count > 0 {
                                            Scalar.gemm(transposeA: false, transposeB: true, m: count, n: width, k: n, alpha: 1,
                                                        a: hPrevious, lda: n, b: w, ldb: n, beta: 0, c: z, ldc: width)
                                        }
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
                                        // All rows on this thread: in training the other one is busy
                                        // with the output layer's dW (see linearSoftmaxCrossEntropy).
                                        lstmSequenceBackward(
                                            steps: steps, batch: batch, n: n, dz: dz.baseAddress!,
                                            dh0: dh0.baseAddress!, dc0: dc0.baseAddress!, gates: gates.baseAddress!,
                                            cells: cells.baseAddress!, tanhCells: tanhCells.baseAddress!, g: g.baseAddress!,
                                            w: w.baseAddress!)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        // z(t) = h(t−1) Wᵀ + P(t): W gets dz(t)ᵀ h(t−1), t = T … 1 (the order of the steps'
        // backward passes).
        var dw: Tensor<Scalar>? = nil
        for t in (0..<steps).reversed() {
            let dz = Tensor(shape: [batch, width], scalars: Array(dProjected[(t * gateStep)..<((t + 1) * gateStep)]))
            let previous = t == 0 ? hv0 : Tensor(shape: [batch, n], scalars: Array(hiddenStates[((t - 1) * stepSize)..<(t * stepSize)]))
            addStepGradient(upstream: dz, input: previous, weight: parameter, into: &dw)
        }
        return [Tensor(shape: pv.shape, scalars: dProjected), dw,
                Tensor(shape: hv0.shape, scalars: dh0), Tensor(shape: cv0.shape, scalars: dc0)]
    }
}

/// The backward pass of ``lstmSequence(_:recurrentWeight:h0:c0:steps:)``, t = T … 1:
/// fills dz (every step's ∂J/∂z(t)), dh0 and dc0. `g` is the gradient of the op's value
/// ((T+1)·B × H: h(1) … h(T), then c(T)).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func lstmSequenceBackward<Scalar: TensorScalar>(
    steps: Int, batch: Int, n: Int, dz: UnsafeMutablePointer<Scalar>,
    dh0: UnsafeMutablePointer<Scalar>, dc0: UnsafeMutablePointer<Scalar>,
    gates: UnsafePointer<Scalar>, cells: UnsafePointer<Scalar>, tanhCells: UnsafePointer<Scalar>,
    g: UnsafePointer<Scalar>, w: UnsafePointer<Scalar>
) {
    let width = 4 * n, stepSize = batch * n, gateStep = batch * width
    var dh = [Scalar](repeating: 0, count: stepSize)           // ∂J/∂h(t)
    var dc = Array(UnsafeBufferPointer(start: g + steps * stepSize, count: stepSize))  // ∂J/∂c(t), from outside at T
    var fromNext = [Scalar](repeating: 0, count: stepSize)     // dz(t+1) W, into h(t)
    var dPrevious = [Scalar](repeating: 0, count: stepSize)    // ∂J/∂c(t−1)
    for t in (0..<steps).reversed() {
        let above = g + t * stepSize
        for k in 0..<stepSize { dh[k] = t == steps - 1 ? above[k] : above[k] + fromNext[k] }
        let base = t * stepSize
        for r in 0..<batch {
            let row = gates + t * gateStep + r * width
            let drow = dz + t * gateStep + r * width
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
        if n > 0 && batch > 0 {
            fromNext.withUnsafeMutableBufferPointer { out in
                Scalar.gemm(transposeA: false, transposeB: false, m: batch, n: n, k: width, alpha: 1,
                            a: dz + t * gateStep, lda: width, b: w, ldb: n, beta: 0, c: out.baseAddress!, ldc: n)
            }
        }
    }
    dh0.update(from: fromNext, count: stepSize)
    dc0.update(from: dc, count: stepSize)
}

// MARK: - A whole GRU layer over a window

/// A GRU layer run over `steps` time steps as one op: for t = 1 … T,
/// ```
/// z = σ(P_z(t) + U_z h(t−1));   r = σ(P_r(t) + U_r h(t−1))
/// ĥ = tanh(P_h(t) + U_h (r ⊙ h(t−1)));   h(t) = (1 − z) ⊙ h(t−1) + z ⊙ ĥ
/// ```
/// where P (T·B × 3H, time-major) holds every step's projected input W x(t) + b in the
/// blocks z, r, ĥ (see ``GRUCell``), `gateWeight` is U_zr (2H × H: U_z over U_r) and
/// `candidateWeight` U_h (H × H). The value is h(1) … h(T) stacked (T·B × H).
///
/// As ``lstmSequence(_:recurrentWeight:h0:c0:steps:)`` for the LSTM: the arithmetic of
/// ``GRUCell/step(projected:state:)`` step for step, in the same order (a test checks
/// values and gradients are identical), the weights' gradients handed over as `matmul`
/// does, the forward pass in two halves of a large batch on two threads.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func gruSequence<Scalar>(
    _ projected: Variable<Scalar>, gateWeight: Variable<Scalar>, candidateWeight: Variable<Scalar>,
    h0: Variable<Scalar>, steps: Int
) -> Variable<Scalar> {
    let pv = projected.value, uzr = gateWeight.value, uh = candidateWeight.value, hv0 = h0.value
    let batch = hv0.rows, n = hv0.columns, width = 3 * n
    precondition(steps > 0 && hv0.rank == 2, "gruSequence: state of shape \(hv0.shape) for \(steps) steps")
    precondition(pv.shape == [steps * batch, width], "gruSequence: projected inputs of shape \(pv.shape), expected \([steps * batch, width])")
    precondition(uzr.shape == [2 * n, n] && uh.shape == [n, n],
                 "gruSequence: U_zr of shape \(uzr.shape) and U_h of shape \(uh.shape) for H = \(n)")
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
                    uzr.scalars.withUnsafeBufferPointer { uzr in
                        uh.scalars.withUnsafeBufferPointer { uh in
                            hv0.scalars.withUnsafeBufferPointer { h0 in
                                let shared = UncheckedSendable((gates.baseAddress!, resetHidden.baseAddress!, out.baseAddress!,
                                                                p.baseAddress!, uzr.baseAddress!, uh.baseAddress!, h0.baseAddress!))
                                forEachRowChunk(batch, work: work) { _, rows in
                                    let (gates, resetHidden, out, p, uzr, uh, h0) = shared.value
                                    let (r0, count) = (rows.lowerBound, rows.count)
                                    var recurrent = [Scalar](repeating: 0, count: count * 2 * n)
                                    var candidate = [Scalar](repeating: 0, count: count * n)
                                    for t in 0..<steps {
                                        let hPrevious = t == 0 ? h0 + r0 * n : UnsafePointer(out + (t - 1) * stepSize + r0 * n)
                                        let g = gates + (t * batch + r0) * width, pt = p + (t * batch + r0) * width
                                        let rh = resetHidden + t * stepSize + r0 * n, h = out + t * stepSize + r0 * n
                                        recurrent.withUnsafeMutableBufferPointer { rec in
                                            if n > 0 && count > 0 {
                                                Scalar.gemm(transposeA: false, transposeB: true, m: count, n: 2 * n, k: n, alpha: 1,
                                                            a: hPrevious, lda: n, b: uzr, ldb: n, beta: 0, c: rec.baseAddress!, ldc: 2 * n)
                                            }
                                            for r in 0..<count {
                                                for j in 0..<(2 * n) { g[r * width + j] = pt[r * width + j] + rec[r * 2 * n + j] }
                                                Scalar.logistic(UnsafeMutableBufferPointer(start: g + r * width, count: 2 * n))
                                                for j in 0..<n { rh[r * n + j] = g[r * width + n + j] * hPrevious[r * n + j] }
                                            }
                                        }
                                        candidate.withUnsafeMutableBufferPointer { cand in
                                            if n > 0 && count > 0 {
                                                Scalar.gemm(transposeA: false, transposeB: true, m: count, n: n, k: n, alpha: 1,
                                                            a: rh, lda: n, b: uh, ldb: n, beta: 0, c: cand.baseAddress!, ldc: n)
                                            }
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
                                    uzr.scalars.withUnsafeBufferPointer { uzr in
                                        uh.scalars.withUnsafeBufferPointer { uh in
                                            gruSequenceBackward(
                                                steps: steps, batch: batch, n: n, dp: dp.baseAddress!, dh0: dh0.baseAddress!,
                                                gates: gates.baseAddress!, resetHidden: resetHidden.baseAddress!, hs: hs.baseAddress!,
                                                h0: h0.baseAddress!, g: g.baseAddress!, uzr: uzr.baseAddress!, uh: uh.baseAddress!)
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
        // U_h gets dâᵀ (r ⊙ h(t−1)), U_zr gets [dz dr]ᵀ h(t−1) (â, z, r: pre-activations).
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
            let previous = t == 0 ? hv0 : Tensor(shape: [batch, n], scalars: Array(hiddenStates[((t - 1) * stepSize)..<(t * stepSize)]))
            addStepGradient(upstream: dCandidate, input: rh, weight: candidateParameter, into: &dh)
            addStepGradient(upstream: dGates, input: previous, weight: gateParameter, into: &dzr)
        }
        return [Tensor(shape: pv.shape, scalars: dProjected), dzr, dh, Tensor(shape: hv0.shape, scalars: dh0)]
    }
}

/// The backward pass of ``gruSequence(_:gateWeight:candidateWeight:h0:steps:)``, t = T … 1:
/// fills dp (every step's ∂J/∂[a_z a_r a_ĥ], the pre-activations) and dh0. Each step adds
/// the contributions to ∂J/∂h(t−1) in the order the step-by-step tape does: from above,
/// through (1 − z) ⊙ h(t−1), through r ⊙ h(t−1), through U_zr h(t−1).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func gruSequenceBackward<Scalar: TensorScalar>(
    steps: Int, batch: Int, n: Int, dp: UnsafeMutablePointer<Scalar>, dh0: UnsafeMutablePointer<Scalar>,
    gates: UnsafePointer<Scalar>, resetHidden: UnsafePointer<Scalar>, hs: UnsafePointer<Scalar>,
    h0: UnsafePointer<Scalar>, g: UnsafePointer<Scalar>, uzr: UnsafePointer<Scalar>, uh: UnsafePointer<Scalar>
) {
    let width = 3 * n, stepSize = batch * n
    var dh = Array(UnsafeBufferPointer(start: g + (steps - 1) * stepSize, count: stepSize))  // ∂J/∂h(T)
    var dResetHidden = [Scalar](repeating: 0, count: stepSize)
    var fromGates = [Scalar](repeating: 0, count: stepSize)
    for t in (0..<steps).reversed() {
        let hPrevious = t == 0 ? h0 : hs + (t - 1) * stepSize
        // ∂J/∂h(t−1), starting from what reaches h(t−1) from above (none for h(0)).
        var next = t == 0 ? [Scalar](repeating: 0, count: stepSize)
                          : Array(UnsafeBufferPointer(start: g + (t - 1) * stepSize, count: stepSize))
        for r in 0..<batch {
            let row = gates + (t * batch + r) * width, drow = dp + (t * batch + r) * width
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
        // a_ĥ = P_ĥ + (r ⊙ h(t−1)) U_hᵀ: d(r ⊙ h(t−1)) = dâ U_h (dâ: the ĥ block of dp's rows).
        dResetHidden.withUnsafeMutableBufferPointer { out in
            if n > 0 && batch > 0 {
                Scalar.gemm(transposeA: false, transposeB: false, m: batch, n: n, k: n, alpha: 1,
                            a: dp + t * batch * width + 2 * n, lda: width, b: uh, ldb: n, beta: 0, c: out.baseAddress!, ldc: n)
            }
        }
        for r in 0..<batch {
            let row = gates + (t * batch + r) * width, drow = dp + (t * batch + r) * width
            for j in 0..<n {
                let k = r * n + j
                let reset = row[n + j]
                // r ⊙ h(t−1)
                let dr = dResetHidden[k] * hPrevious[k]
                next[k] = next[k] + dResetHidden[k] * reset
                drow[n + j] = dr * reset * (1 - reset)
            }
        }
        // [a_z a_r] = P_zr + h(t−1) U_zrᵀ: dh(t−1) += [dz dr] U_zr (the first two blocks of dp's rows).
        fromGates.withUnsafeMutableBufferPointer { out in
            if n > 0 && batch > 0 {
                Scalar.gemm(transposeA: false, transposeB: false, m: batch, n: n, k: 2 * n, alpha: 1,
                            a: dp + t * batch * width, lda: width, b: uzr, ldb: n, beta: 0, c: out.baseAddress!, ldc: n)
            }
        }
        for k in 0..<stepSize { next[k] = next[k] + fromGates[k] }
        dh = next
    }
    dh0.update(from: dh, count: stepSize)
}
