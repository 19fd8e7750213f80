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
    let ranges = rowChunks(count, work: work, parts: parts), chunks = ranges.count
    if chunks == 1 || FusedKernels.threads <= 1 {
        for c in 0..<chunks { body(c, ranges[c]) }
        return
    }
    withoutActuallyEscaping(body) { body in
        let call = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: chunks) { c in call.value(c, ranges[c]) }
    }
}

/// The ranges ``forEachRowChunk(_:work:parts:_:)`` splits `count` rows into.
func rowChunks(_ count: Int, work: Int, parts: Int = 2) -> [Range<Int>] {
    let chunks = work >= 1 << 18 ? Swift.max(1, Swift.min(parts, count)) : 1
    return (0..<chunks).map { c in (count * c / chunks)..<(count * (c + 1) / chunks) }
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
/// its product with h straight into W's gradient (on another thread, while the sweep goes
/// on). Where ``PackedProducts`` apply (the fast kernels, Float, W a parameter, products
/// large enough), the backward pass instead reads the logits' buffer once, block of
/// classes by block (``packedOutputBackward``), and the logits are NeuralKit's own
/// product, reading W in place; with the same numbers. Large enough, every
/// stage runs as two halves on two threads (the products split by classes, the softmax by
/// rows), always the same two halves, so results do not depend on the machine; call it
/// with `BLAS.threads = 1`, or the two halves compete for BLAS's own threads.
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
    // Where ``PackedProducts`` apply, h is packed once and W read in place (W is large and
    // has just been rewritten by the optimizer: a BLAS would copy it into its panels first).
    let halves = rowChunks(v, work: n * v)
    let packedLogits = PackedProducts.available(for: Scalar.self) && n > 0 && k > 0
        && halves.allSatisfy { !PackedProducts.small(m: n, n: $0.count, k: k, transposedB: true) }
    var buffer = [Scalar](unsafeUninitializedCapacity: n * v) { out, initialized in
        if n > 0 && v > 0 && k > 0 {
            hv.scalars.withUnsafeBufferPointer { ph in
                wv.scalars.withUnsafeBufferPointer { pw in
                    let (ph, pw, pc) = (UncheckedSendable(ph.baseAddress!), UncheckedSendable(pw.baseAddress!),
                                        UncheckedSendable(out.baseAddress!))
                    let packedH = packedLogits ? UnsafeRawPointer(ph.value).withMemoryRebound(to: Float.self, capacity: n * k) {
                        PackedMatrix(n: n, k: k, b: $0, rowStride: k, termStride: 1)
                    } : nil
                    forEachRowChunk(v, work: n * v) { _, classes in
                        if let packedH {
                            UnsafeRawPointer(pw.value + classes.lowerBound * k).withMemoryRebound(to: Float.self, capacity: classes.count * k) { w in
                                UnsafeMutableRawPointer(pc.value + classes.lowerBound).withMemoryRebound(to: Float.self, capacity: n * v - classes.lowerBound) { c in
                                    packedH.multiplyLeft(columns: classes.count, b: w, rowStride: k, termStride: 1, into: c, ldc: v,
                                                         accumulate: false)
                                }
                            }
                        } else {
                            Scalar.gemm(transposeA: false, transposeB: true, m: n, n: classes.count, k: k, alpha: 1,
                                        a: ph.value, lda: k, b: pw.value + classes.lowerBound * k, ldb: k, beta: 0,
                                        c: pc.value + classes.lowerBound, ldc: v)
                        }
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
    // The packed backward pass gives the numbers the BLAS products below give (on
    // AVX-512 machines, bit for bit) where those run OpenBLAS's regular kernels.
    let pieces = Swift.max(1, Swift.min(16, v / 64))
    let usesPackedBackward = PackedProducts.available(for: Scalar.self) && n > 0 && k > 0 && v > 0
        && !PackedProducts.small(m: n, n: k, k: v / 2, transposedB: false)
        && !PackedProducts.small(m: v / pieces, n: k, k: n, transposedB: false)
    let inputs = [h, weight] + (bias.map { [$0] } ?? [])
    let hasBias = bias != nil  // (the closure must not hold a Variable: it would keep its tape alive)
    return h.tape.record("linear + cross-entropy", inputs: inputs, value: Tensor(loss)) { g in
        // d logits = (softmax − onehot) · g / N, written over the kept exponentials;
        // db = column sums of d logits (per chunk of rows, then added in chunk order);
        // dh = d logits · W, per half of the classes (added in order); dW += d logitsᵀ h.
        var d = box.take()
        let scale = g.scalar / count
        let factors = labels.indices.map { labels[$0] >= 0 ? inverseSums[$0] * scale : 0 }  // row r's exps · factor
        let chunks = 2
        var partialBias = [Scalar](repeating: 0, count: hasBias ? chunks * v : 0)
        var partialDh = [Scalar](repeating: 0, count: 2 * n * k)
        var dw: Tensor<Scalar>? = nil
        if let parameter, usesPackedBackward {
            // The same numbers in one pass over d logits (see `packedOutputBackward`), with
            // the column sums in the chunks of rows of the pass below.
            parameter.accumulator.addInPlace(overwriting: { gradient, overwrite in
                func float<T>(_ p: UnsafePointer<T>) -> UnsafePointer<Float> { UnsafeRawPointer(p).assumingMemoryBound(to: Float.self) }
                func float<T>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<Float> {
                    UnsafeMutableRawPointer(p).assumingMemoryBound(to: Float.self)
                }
                d.withUnsafeMutableBufferPointer { pd in
                    partialBias.withUnsafeMutableBufferPointer { pb in
                        partialDh.withUnsafeMutableBufferPointer { pdh in
                            hv.scalars.withUnsafeBufferPointer { ph in
                                wv.scalars.withUnsafeBufferPointer { pw in
                                    packedOutputBackward(
                                        n: n, v: v, k: k, d: float(pd.baseAddress!), labels: labels,
                                        factors: factors.map { Float($0) }, scale: Float(scale),
                                        h: float(ph.baseAddress!), w: float(pw.baseAddress!),
                                        partialBias: pb.isEmpty ? nil : float(pb.baseAddress!),
                                        rowChunks: rowChunks(n, work: n * v, parts: chunks),
                                        partialDh: float(pdh.baseAddress!), gradient: float(gradient.baseAddress!),
                                        overwrite: overwrite)
                                }
                            }
                        }
                    }
                }
            })
        } else {
            d.withUnsafeMutableBufferPointer { o in
                partialBias.withUnsafeMutableBufferPointer { pb in
                    let (o, pb) = (UncheckedSendable(o), UncheckedSendable(pb))
                    forEachRowChunk(n, work: n * v, parts: chunks) { c, rows in
                        for r in rows {
                            let row = UnsafeMutableBufferPointer(rebasing: o.value[(r * v)..<((r + 1) * v)])
                            let factor = factors[r]
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
            // dh over the two halves of the classes. dW: when W is a parameter, as one
            // product on another thread, while the backward sweep goes on through the
            // recurrent layers on this one (it needs dh, not dW); the optimizer's first read
            // of the gradient waits for it.
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
            // whichever thread computes a piece. (`overwrite`: the gradient is zero but not
            // yet written, see `GradientAccumulator.addInBackground`.)
            let weightGradient: (Int, UnsafeMutableBufferPointer<Scalar>, Bool) -> Void = { piece, gradient, overwrite in
                let classes = (v * piece / pieces)..<(v * (piece + 1) / pieces)
                guard n > 0 && k > 0 && !classes.isEmpty else {
                    if overwrite { gradient[(classes.lowerBound * k)..<(classes.upperBound * k)].update(repeating: 0) }
                    return
                }
                logitsGradient.withUnsafeBufferPointer { pd in
                    hv.scalars.withUnsafeBufferPointer { ph in
                        Scalar.gemm(transposeA: true, transposeB: false, m: classes.count, n: k, k: n, alpha: 1,
                                    a: pd.baseAddress! + classes.lowerBound, lda: v, b: ph.baseAddress!, ldb: k,
                                    beta: overwrite ? 0 : 1, c: gradient.baseAddress! + classes.lowerBound * k, ldc: k)
                    }
                }
            }
            let allPieces: (UnsafeMutableBufferPointer<Scalar>, Bool) -> Void = { gradient, overwrite in
                for piece in 0..<pieces { weightGradient(piece, gradient, overwrite) }
            }
            if let parameter {
                if FusedKernels.threads > 1 && n * v >= 1 << 18 {
                    parameter.accumulator.addInBackground(parts: pieces, weightGradient)
                } else {
                    parameter.accumulator.addInPlace(overwriting: allPieces)
                }
            } else {
                var w = Tensor<Scalar>.zeros(wv.shape)
                w.scalars.withUnsafeMutableBufferPointer { allPieces($0, false) }
                dw = w
            }
        }
        var db: Tensor<Scalar>? = nil
        if hasBias {
            var sums = [Scalar](repeating: 0, count: v)
            for c in 0..<chunks { for j in 0..<v { sums[j] += partialBias[c * v + j] } }
            db = Tensor(shape: [v], scalars: sums)
        }
        var dhScalars = Array(partialDh[0..<(n * k)])
        for i in 0..<(n * k) { dhScalars[i] += partialDh[n * k + i] }  // (zeros when run as one part)
        let dh = Tensor(shape: [n, k], scalars: dhScalars)
        return [dh, dw] + (hasBias ? [db] : [])
    }
}
