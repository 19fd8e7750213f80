/// Tensor-level kernels the ops are built from (no tape here).

extension Tensor {
    /// Sum over rows: (m × n) → (n).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func columnSums() -> Tensor {
        let n = columns
        var out = [Scalar](repeating: 0, count: n)
        scalars.withUnsafeBufferPointer { a in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<(a.count / Swift.max(n, 1)) {
                    for j in 0..<n { o[j] += a[i * n + j] }
                }
            }
        }
        return Tensor(shape: [n], scalars: out)
    }

    /// The sum of all elements.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func sum() -> Scalar { scalars.reduce(0, +) }
}

extension UnsafeBufferPointer where Element: TensorScalar {
    /// Σ x² over the elements in `range`, in Double. Eight running sums, combined in a
    /// fixed order at the end (so the result is the same on every run): one chain of
    /// additions would wait on each addition in turn, eight keep the core busy.
    @_specialize(where Element == Float)
    @_specialize(where Element == Double)
    public func sumOfSquares(_ range: Range<Int>) -> Double {
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0, s6 = 0.0, s7 = 0.0
        var i = range.lowerBound
        while i + 8 <= range.upperBound {
            let x0 = Double(self[i]), x1 = Double(self[i + 1]), x2 = Double(self[i + 2]), x3 = Double(self[i + 3])
            let x4 = Double(self[i + 4]), x5 = Double(self[i + 5]), x6 = Double(self[i + 6]), x7 = Double(self[i + 7])
            s0 += x0 * x0; s1 += x1 * x1; s2 += x2 * x2; s3 += x3 * x3
            s4 += x4 * x4; s5 += x5 * x5; s6 += x6 * x6; s7 += x7 * x7
            i += 8
        }
        while i < range.upperBound {
            let x = Double(self[i])
            s0 += x * x
            i += 1
        }
        return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    }
}

/// Matrix product with optional transposes, through BLAS gemm.
/// `a` is (m × k) after its transpose, `b` is (k × n) after its transpose; the result is (m × n).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func gemm<Scalar: TensorScalar>(
    _ a: Tensor<Scalar>, _ b: Tensor<Scalar>, transposeA: Bool = false, transposeB: Bool = false,
    label: String = "matmul", parallel: Bool = false
) -> Tensor<Scalar> {
    precondition(a.rank == 2 && b.rank == 2, "\(label): needs matrices, got shapes \(a.shape) and \(b.shape)")
    let m = transposeA ? a.shape[1] : a.shape[0]
    let k = transposeA ? a.shape[0] : a.shape[1]
    let kb = transposeB ? b.shape[1] : b.shape[0]
    let n = transposeB ? b.shape[0] : b.shape[1]
    precondition(
        k == kb,
        "\(label): shapes \(a.shape)\(transposeA ? "ᵀ" : "") and \(b.shape)\(transposeB ? "ᵀ" : "") do not chain")
    var out = [Scalar](repeating: 0, count: m * n)
    if m > 0 && n > 0 && k > 0 {
        a.scalars.withUnsafeBufferPointer { pa in
            b.scalars.withUnsafeBufferPointer { pb in
                out.withUnsafeMutableBufferPointer { pc in
                    let (pa, pb, pc) = (UncheckedSendable(pa.baseAddress!), UncheckedSendable(pb.baseAddress!),
                                        UncheckedSendable(pc.baseAddress!))
                    let lda = a.shape[1], ldb = b.shape[1]
                    // `parallel`: a large product as two halves of C's rows, one per thread.
                    forEachRowChunk(m, work: parallel ? m * n * k >> 6 : 0) { _, rows in
                        Scalar.gemm(
                            transposeA: transposeA, transposeB: transposeB, m: rows.count, n: n, k: k,
                            alpha: 1, a: pa.value + rows.lowerBound * (transposeA ? 1 : lda), lda: lda, b: pb.value, ldb: ldb,
                            beta: 0, c: pc.value + rows.lowerBound * n, ldc: n)
                    }
                }
            }
        }
    }
    return Tensor(shape: [m, n], scalars: out)
}

/// Softmax of each row, exp(x − max) / Σ exp(x − max) so no exponent overflows, and each
/// row's log normalizer log Σ exp(x) = max + log Σ exp(x − max). The one kernel behind
/// softmax, log-softmax and the fused cross-entropy.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func rowSoftmax<Scalar: TensorScalar>(_ x: Tensor<Scalar>) -> (probabilities: Tensor<Scalar>, logNormalizers: [Scalar]) {
    let n = x.columns
    let rows = x.count / Swift.max(n, 1)
    var out = x.scalars
    var logNormalizers = [Scalar](repeating: 0, count: rows)
    out.withUnsafeMutableBufferPointer { o in
        for r in 0..<rows {
            let base = r * n
            let (largest, total) = Scalar.shiftedExponentials(UnsafeMutableBufferPointer(rebasing: o[base..<(base + n)]), bias: nil)
            let inverse = 1 / total
            for j in 0..<n { o[base + j] *= inverse }
            logNormalizers[r] = largest + Scalar.log(total)
        }
    }
    return (Tensor(shape: x.shape, scalars: out), logNormalizers)
}

/// Numerically stable log-softmax of each row: x − log Σ exp(x), from `rowSoftmax`'s
/// log normalizers.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func rowLogSoftmax<Scalar: TensorScalar>(_ x: Tensor<Scalar>) -> Tensor<Scalar> {
    let n = x.columns
    let logNormalizers = rowSoftmax(x).logNormalizers
    var out = x.scalars
    for r in logNormalizers.indices {
        for j in 0..<n { out[r * n + j] -= logNormalizers[r] }
    }
    return Tensor(shape: x.shape, scalars: out)
}

@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func logistic<Scalar: TensorScalar>(_ x: Scalar) -> Scalar {
    // Two branches so that exp never overflows.
    if x >= 0 { return 1 / (1 + Scalar.exp(-x)) }
    let e = Scalar.exp(x)
    return e / (1 + e)
}
