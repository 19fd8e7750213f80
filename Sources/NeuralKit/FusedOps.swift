import Dispatch

/// Ops that fuse several steps of the readable ops in `Ops.swift` into one, for speed.
/// Each has the unfused composition as its reference: a test checks that both give the
/// same value and the same gradients.

/// Settings of the fused kernels.
public enum FusedKernels {
    /// 2: large fused ops run as two halves on two threads (the default); 1: on the
    /// calling thread only (then BLAS's own threads may speed up the products).
    /// The split changes the order of some additions, so results differ in the last bits.
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
/// (so results never depend on thread timing), and runs `body` on each range, in
/// parallel when there is enough work.
func forEachRowChunk(_ count: Int, work: Int, parts: Int = 2, _ body: (Int, Range<Int>) -> Void) {
    let chunks = work >= 1 << 18 && FusedKernels.threads > 1 ? Swift.max(1, Swift.min(parts, count)) : 1
    let ranges = (0..<chunks).map { c in (count * c / chunks)..<(count * (c + 1) / chunks) }
    if chunks == 1 { return body(0, ranges[0]) }
    withoutActuallyEscaping(body) { body in
        let call = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in call.value(c, ranges[c]) }
    }
}

private struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
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
        // dh = d logits · W and dW += d logitsᵀ h, both split over the two halves of the
        // classes: each thread adds its half of W's gradient and a partial dh; the
        // partials are added in order.
        var partialDh = [Scalar](repeating: 0, count: 2 * n * k)
        var dw: Tensor<Scalar>? = parameter == nil ? .zeros(wv.shape) : nil
        let products: (UnsafeMutableBufferPointer<Scalar>) -> Void = { gradient in
            guard n > 0 && v > 0 && k > 0 else { return }
            d.withUnsafeBufferPointer { pd in
                hv.scalars.withUnsafeBufferPointer { ph in
                    wv.scalars.withUnsafeBufferPointer { pw in
                        partialDh.withUnsafeMutableBufferPointer { pdh in
                            let (pd, ph, pw, pdh, pg) = (UncheckedSendable(pd.baseAddress!), UncheckedSendable(ph.baseAddress!),
                                                         UncheckedSendable(pw.baseAddress!), UncheckedSendable(pdh.baseAddress!),
                                                         UncheckedSendable(gradient.baseAddress!))
                            forEachRowChunk(v, work: n * v) { c, classes in
                                let lo = classes.lowerBound
                                Scalar.gemm(transposeA: true, transposeB: false, m: classes.count, n: k, k: n, alpha: 1,
                                            a: pd.value + lo, lda: v, b: ph.value, ldb: k, beta: 1,
                                            c: pg.value + lo * k, ldc: k)
                                Scalar.gemm(transposeA: false, transposeB: false, m: n, n: k, k: classes.count, alpha: 1,
                                            a: pd.value + lo, lda: v, b: pw.value + lo * k, ldb: k, beta: 0,
                                            c: pdh.value + c * n * k, ldc: k)
                            }
                        }
                    }
                }
            }
        }
        if let parameter {
            parameter.accumulateInPlace(products)
        } else {
            dw!.scalars.withUnsafeMutableBufferPointer { products($0) }
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
