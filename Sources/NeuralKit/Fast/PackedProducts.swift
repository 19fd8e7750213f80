import CKernels

/// The fast kernels' own matrix products (`packed.c`), for the two places where a BLAS
/// call repeats work: a recurrence multiplies the same weight by a new h(t−1) at every
/// step (``RecurrentProduct``), and the output layer of a language model reads its large
/// factors in products that a BLAS packs again at every call
/// (``linearSoftmaxCrossEntropy(_:weight:bias:labels:)``: the logits h Wᵀ, with h packed
/// and W read in place; the backward pass, ``packedOutputBackward``).
///
/// One factor is packed once into panels; each product reads the other in place. Every
/// element is the same sequence of fused multiply-adds at every vector width (AVX2 or
/// AVX-512: the same bits on both kinds of machine), in blocks of k chosen as OpenBLAS's
/// AVX-512 kernels choose them, so that on those machines the numbers are OpenBLAS's, bit
/// for bit. A product OpenBLAS would give to its small-matrix code stays with OpenBLAS
/// (there is nothing to save by packing it).
enum PackedProducts {
    /// Whether products of `Scalar` go to `packed.c`: the fast kernels, in Float, on a
    /// CPU with AVX2 or AVX-512 (the portable C is only for the tests).
    static func available<Scalar: TensorScalar>(for _: Scalar.Type) -> Bool {
        Scalar.self == Float.self && Kernels.choice == .fast && ck_cpu_level() >= CK_LEVEL_AVX2
    }

    /// Whether OpenBLAS (0.3, AVX-512 kernels) computes C (m × n) with k terms per element
    /// in its small-matrix code: up to 10⁶ multiply-adds, and for C = A Bᵀ (row-major)
    /// only with at most 1,200 elements of C and k of at least 32.
    static func small(m: Int, n: Int, k: Int, transposedB: Bool) -> Bool {
        guard Double(m) * Double(n) * Double(k) <= 1_000_000 else { return false }
        return transposedB ? m * n <= 1200 && k >= 32 : true
    }
}

/// A matrix B (n × k as the product reads it: row j of B gives column j of C) packed
/// once, for products C = A Bᵀ (``multiply(m:a:rowStride:termStride:into:ldc:accumulate:)``).
struct PackedMatrix: @unchecked Sendable {
    let n: Int, k: Int
    private let panels: [Float]

    /// Packs B, whose element (j, q) is at `b[j * rowStride + q * termStride]`.
    init(n: Int, k: Int, b: UnsafePointer<Float>, rowStride: Int, termStride: Int) {
        (self.n, self.k) = (n, k)
        panels = [Float](unsafeUninitializedCapacity: ck_packed_floats(n, k)) { out, initialized in
            ck_pack_float(n, k, b, rowStride, termStride, out.baseAddress!)
            initialized = out.count
        }
    }

    /// C (m × n, rows `ldc` apart) = A Bᵀ, or C += A Bᵀ with `accumulate`; A's element
    /// (i, q) is at `a[i * rowStride + q * termStride]`. (This matrix is B.)
    func multiply(m: Int, a: UnsafePointer<Float>, rowStride: Int, termStride: Int,
                  into c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        panels.withUnsafeBufferPointer { panels in
            ck_sgemm_packed(m, n, k, a, rowStride, termStride, panels.baseAddress!, c, ldc, accumulate ? 1 : 0)
        }
    }

    /// C (n × columns, rows `ldc` apart) = this matrix times Bᵀ, or C += …; B's element
    /// (j, q) is at `b[j * rowStride + q * termStride]`, read in place. The same numbers
    /// as packing B and multiplying the other way round (``multiply(m:a:rowStride:termStride:into:ldc:accumulate:)``);
    /// for a B too large to pack at every call.
    func multiplyLeft(columns: Int, b: UnsafePointer<Float>, rowStride: Int, termStride: Int,
                      into c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool) {
        panels.withUnsafeBufferPointer { panels in
            ck_sgemm_packed_left(n, columns, k, panels.baseAddress!, b, rowStride, termStride, c, ldc, accumulate ? 1 : 0)
        }
    }
}

/// A product with a recurrent weight W at every step of a window: h(t−1) Wᵀ in the
/// forward pass, dz(t) W in the backward pass. W stays the same through the window.
/// Where ``PackedProducts`` apply, W is packed once, when the window starts, and every
/// step's product reads the panels (a BLAS call would pack W again at every step: for an
/// LSTM of H = 200 that copy, 640 KB, costs more than the step's arithmetic). Otherwise
/// each step is `Scalar.gemm`, the product the readable `step` computes.
struct RecurrentProduct<Scalar: TensorScalar>: @unchecked Sendable {
    /// W, row-major: (n × k) when `transposed` (C = A Wᵀ), else (k × n) (C = A W). It
    /// must stay valid while the product is used.
    let weight: UnsafePointer<Scalar>
    let n: Int, k: Int, transposed: Bool
    private let packed: PackedMatrix?

    init(weight: UnsafePointer<Scalar>, n: Int, k: Int, transposed: Bool) {
        (self.weight, self.n, self.k, self.transposed) = (weight, n, k, transposed)
        guard PackedProducts.available(for: Scalar.self) && n > 0 && k > 0 else {
            packed = nil
            return
        }
        packed = UnsafeRawPointer(weight).withMemoryRebound(to: Float.self, capacity: n * k) { w in
            PackedMatrix(n: n, k: k, b: w, rowStride: transposed ? k : 1, termStride: transposed ? 1 : n)
        }
    }

    /// C (m × n, rows `ldc` apart) = A (m × k, rows `lda` apart) times Wᵀ or W. `blasRows`:
    /// the rows of the whole product when this call computes some of them (a part of the
    /// batch on one thread), so that the choice between packed products and the BLAS, and
    /// with it the numbers, is that of the whole.
    func callAsFunction(m: Int, a: UnsafePointer<Scalar>, lda: Int, c: UnsafeMutablePointer<Scalar>, ldc: Int,
                        blasRows: Int? = nil) {
        guard m > 0 && n > 0 else { return }
        guard let packed, !PackedProducts.small(m: blasRows ?? m, n: n, k: k, transposedB: transposed) else {
            return Scalar.gemm(transposeA: false, transposeB: transposed, m: m, n: n, k: k, alpha: 1,
                               a: a, lda: lda, b: weight, ldb: transposed ? k : n, beta: 0, c: c, ldc: ldc)
        }
        UnsafeRawPointer(a).withMemoryRebound(to: Float.self, capacity: m * lda) { a in
            UnsafeMutableRawPointer(c).withMemoryRebound(to: Float.self, capacity: m * ldc) { c in
                packed.multiply(m: m, a: a, rowStride: lda, termStride: 1, into: c, ldc: ldc, accumulate: false)
            }
        }
    }
}

/// The backward pass of the output layer and loss (``linearSoftmaxCrossEntropy(_:weight:bias:labels:)``)
/// through ``PackedProducts``: d logits = (softmax − onehot) g / N written over the kept
/// exponentials, its column sums (db), dh = d logits · W and dW (+)= d logitsᵀ h, in one
/// pass over d logits instead of three. Each of the two threads takes half of the classes,
/// block by block (the blocks of k that the dh product sums in): it scales the block's
/// columns of d logits, then, while they are in cache, adds the block's part of dh and
/// writes the block's rows of dW. The same operations per element as the unfused op, so
/// the same numbers.
///
/// `d`: the exponentials (n × v); `factors`: per row, inverse sum × scale (0 for a padding
/// row), and `scale` subtracted at the label; `partialBias` (2 × v, zeros, or nil):
/// per chunk of `rowChunks`, the column sums; `partialDh` (2 × n × k, zeros): per half of
/// the classes, dh; `gradient` (v × k): dW added in, or written when `overwrite`.
func packedOutputBackward(
    n: Int, v: Int, k: Int, d: UnsafeMutablePointer<Float>, labels: [Int], factors: [Float], scale: Float,
    h: UnsafePointer<Float>, w: UnsafePointer<Float>, partialBias: UnsafeMutablePointer<Float>?, rowChunks: [Range<Int>],
    partialDh: UnsafeMutablePointer<Float>, gradient: UnsafeMutablePointer<Float>, overwrite: Bool
) {
    // dW's product reads d logits across its rows (A transposed); with AVX2's 16 registers
    // that runs faster through the BLAS (there the bits are the BLAS's own either way).
    let packedH = ck_cpu_level() >= CK_LEVEL_AVX512 ? PackedMatrix(n: k, k: n, b: h, rowStride: 1, termStride: k) : nil
    let shared = UncheckedSendable((d, partialBias, partialDh, gradient))
    forEachRowChunk(v, work: n * v) { half, classes in
        let (d, partialBias, partialDh, gradient) = shared.value
        // The block's d logits go to a buffer that stays in cache (the exponentials are not
        // needed again, and are not written back).
        let widest = Swift.min(classes.count, Int(ck_packed_next_block(Swift.max(classes.count, 1))))
        var block = [Float](repeating: 0, count: n * widest)
        block.withUnsafeMutableBufferPointer { block in
            let block = block.baseAddress!
            var q0 = classes.lowerBound
            while q0 < classes.upperBound {
                let width = ck_packed_next_block(classes.upperBound - q0), q1 = q0 + width
                // d logits for this block's classes, and their column sums per chunk of rows:
                // row[j] = exps[j] · factor (minus `scale` at the label), sums[j] += row[j].
                for (c, rows) in rowChunks.enumerated() {
                    ck_logits_gradient_block(rows.lowerBound, rows.upperBound, d, v, q0, width, labels, factors, scale, block,
                                             partialBias.map { $0 + c * v + q0 })
                }
                // dh (this half) += d[:, block] W[block];   dW[block] (+)= d[:, block]ᵀ h.
                let packedW = PackedMatrix(n: k, k: width, b: w + q0 * k, rowStride: 1, termStride: k)
                packedW.multiply(m: n, a: block, rowStride: width, termStride: 1, into: partialDh + half * n * k, ldc: k,
                                 accumulate: q0 > classes.lowerBound)
                if let packedH {
                    packedH.multiply(m: width, a: block, rowStride: 1, termStride: width, into: gradient + q0 * k, ldc: k,
                                     accumulate: !overwrite)
                } else {
                    Float.gemm(transposeA: true, transposeB: false, m: width, n: k, k: n, alpha: 1, a: block, lda: width,
                               b: h, ldb: k, beta: overwrite ? 0 : 1, c: gradient + q0 * k, ldc: k)
                }
                q0 = q1
            }
        }
    }
}
