#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif
import CKernels
import Foundation

/// The element types a ``Tensor`` can hold: `Float` for training, `Double` for gradient
/// checks. Their products and softmax rows run on the kernels ``Kernels/choice`` names;
/// exp, log, tanh and σ are NeuralKit's own (``ExactMath``), the same bits everywhere.
///
/// Every public generic entry point of NeuralKit is pre-specialized for both types
/// (`@_specialize`), so callers compiled without optimization still run the
/// specialized loops.
public protocol TensorScalar: BinaryFloatingPoint, Sendable, CustomStringConvertible
where Self.RawSignificand: FixedWidthInteger {
    /// e^x, ln x and tanh x of one value (NeuralKit's own: the same bits on every machine).
    static func exp(_ x: Self) -> Self
    static func log(_ x: Self) -> Self
    static func tanh(_ x: Self) -> Self

    /// x ← exp(x) for every element of a buffer (vectorized where the type allows).
    static func exponentiate(_ x: UnsafeMutableBufferPointer<Self>)

    /// x ← tanh(x) for every element of a buffer (vectorizable where the type allows).
    static func tanh(_ x: UnsafeMutableBufferPointer<Self>)

    /// x ← σ(x) = 1 / (1 + e^(−x)) for every element of a buffer.
    static func logistic(_ x: UnsafeMutableBufferPointer<Self>)

    /// The inside of a softmax row: with z = row + bias (bias optional) and m = max z,
    /// row ← exp(z − m); returns m and Σ exp(z − m). Vectorized where the type allows.
    static func shiftedExponentials(_ row: UnsafeMutableBufferPointer<Self>, bias: UnsafeBufferPointer<Self>?)
        -> (largest: Self, total: Self)

    /// One Adam update of `count` elements (see ``Adam``), in C (`ck_adam_*`).
    static func adamUpdate(
        theta: UnsafeMutablePointer<Self>, gradient: UnsafePointer<Self>, first: UnsafeMutablePointer<Self>,
        second: UnsafeMutablePointer<Self>, count: Int, beta1: Self, beta2: Self, inverseCorrection1: Self,
        inverseRootCorrection2: Self, learningRate: Self, epsilon: Self)

    /// C = alpha · op(A) · op(B) + beta · C, all row-major; `op` transposes when asked.
    /// A is (m × k) after `op`, B is (k × n) after `op`, C is (m × n). Exact kernels
    /// (`ck_sgemm_exact`) or BLAS, as ``Kernels/choice`` says.
    static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Self, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        beta: Self, c: UnsafeMutablePointer<Self>, ldc: Int)
}

/// An exact product, in two parts on two threads when it is large (at least 2²²
/// multiply-adds; ``forEachRowChunk`` splits it): the rows of C in two halves, or its
/// columns when it has fewer than 32 rows. Every element is computed by one call with the
/// same operations in the same order, so the bits do not depend on the split. `part`
/// computes the product for a block of C: (transposes as C flags, rows, columns, where A,
/// B and C start).
@inline(__always)
private func exactProductParts<T>(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    a: UnsafePointer<T>, lda: Int, b: UnsafePointer<T>, ldb: Int, c: UnsafeMutablePointer<T>, ldc: Int,
    _ part: (Int32, Int32, Int, Int, UnsafePointer<T>, UnsafePointer<T>, UnsafeMutablePointer<T>) -> Void
) {
    let ta: Int32 = transposeA ? 1 : 0, tb: Int32 = transposeB ? 1 : 0
    let byRows = m >= 32, splittable = byRows || n >= 128
    // forEachRowChunk splits from 2¹⁸ units of work: m·n·k / 16 puts the line at 2²².
    forEachRowChunk(byRows ? m : n, work: splittable ? m * n * k >> 4 : 0) { _, range in
        if byRows {
            part(ta, tb, range.count, n, a + range.lowerBound * (transposeA ? 1 : lda), b, c + range.lowerBound * ldc)
        } else {
            part(ta, tb, m, range.count, a, b + range.lowerBound * (transposeB ? ldb : 1), c + range.lowerBound)
        }
    }
}

@inline(__always)
private func blasTranspose(_ t: Bool) -> CBLAS_TRANSPOSE { t ? CblasTrans : CblasNoTrans }

#if canImport(Accelerate)
private typealias blasint = Int32
#endif

extension Float: TensorScalar {
    @inline(__always) public static func exp(_ x: Float) -> Float { fastExp(x) }
    @inline(__always) public static func log(_ x: Float) -> Float { Float(ExactMath.log(Double(x))) }
    @inline(__always) public static func tanh(_ x: Float) -> Float { fastTanh(x) }

    /// exp over a buffer, by ``fastExp(_:)`` (no branch, no trapping conversion), run in C
    /// (`ck_exp_float`, the same arithmetic) so that the loop gets the CPU's widest vectors
    /// (Swift is compiled for the baseline CPU): Cody–Waite range reduction x = n ln 2 + r
    /// with |r| ≤ ln 2 / 2 (n is rounded by adding 1.5·2²³, which also leaves n in the low
    /// bits), Cephes' degree-6
    /// polynomial for e^r, and 2ⁿ written straight into the exponent bits. Relative error
    /// within 2e-7 (about 2 ulp). Inputs are clamped to [−87.3, 88], so results below
    /// 1e-38 come out as about 1e-38 and above 1.6e38 as about 1.6e38; NaN stays NaN (so a
    /// diverging model is still caught by the loss check).
    public static func exponentiate(_ x: UnsafeMutableBufferPointer<Float>) {
        ck_exp_float(x.baseAddress, x.count)  // in C: the same arithmetic, the CPU's widest vectors
    }

    /// One element of ``exponentiate(_:)``: branch-free, so loops over it vectorize.
    @inline(__always)
    static func fastExp(_ raw: Float) -> Float {
        let v = raw > -87.3 ? (raw < 88 ? raw : 88) : -87.3  // NaN takes the lower bound here
        let t = v * 1.442_695_04 + 12_582_912
        let n = t - 12_582_912
        let r = v - n * 0.693_359_375 + n * 2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_59e-2
        p = p * r + 1.666_666_55e-1
        p = p * r + 5.000_000_12e-1
        let er = p * r * r + r + 1
        let scale = Float(bitPattern: (t.bitPattern &- 0x4B40_0000 &+ 127) << 23)
        return raw.isNaN ? raw : er * scale  // ... and comes back out as NaN
    }

    /// tanh in a branch-free loop (``fastTanh(_:)``, in C as ``exponentiate(_:)``). Absolute
    /// error within 3e-7 (tested against libm).
    public static func tanh(_ x: UnsafeMutableBufferPointer<Float>) {
        ck_tanh_float(x.baseAddress, x.count)  // in C, as exponentiate
    }

    /// σ(x) = 1 / (1 + e^(−x)) in a branch-free loop (e^(−x) saturates, so no overflow).
    public static func logistic(_ x: UnsafeMutableBufferPointer<Float>) {
        ck_logistic_float(x.baseAddress, x.count)  // 1 / (1 + fastExp(−x)) in C, as exponentiate
    }

    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        if Kernels.choice == .exact {
            return exactProductParts(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                     a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc) { ta, tb, m, n, a, b, c in
                ck_sgemm_exact(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            }
        }
        cblas_sgemm(
            CblasRowMajor, blasTranspose(transposeA), blasTranspose(transposeB),
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }
}

extension Float {
    /// tanh of one element: Cephes' odd polynomial below |x| = 0.625, where
    /// 1 − 2/(e^(2|x|) + 1) would lose digits to cancellation, and that formula above,
    /// with the sign put back. Branch-free, so loops over it vectorize.
    @inline(__always)
    static func fastTanh(_ v: Float) -> Float {
        let a = Swift.abs(v), z = v * v
        var p: Float = -5.704_988_727_45e-3
        p = p * z + 2.063_908_879_54e-2
        p = p * z - 5.373_971_555_31e-2
        p = p * z + 1.333_144_220_36e-1
        p = p * z - 3.333_328_194_22e-1
        let small = v + v * z * p
        let large = 1 - 2 / (fastExp(2 * a) + 1)
        let signedLarge = v < 0 ? -large : large
        return a < 0.625 ? small : signedLarge
    }

    public static func adamUpdate(
        theta: UnsafeMutablePointer<Float>, gradient: UnsafePointer<Float>, first: UnsafeMutablePointer<Float>,
        second: UnsafeMutablePointer<Float>, count: Int, beta1: Float, beta2: Float, inverseCorrection1: Float,
        inverseRootCorrection2: Float, learningRate: Float, epsilon: Float
    ) {
        ck_adam_float(theta, gradient, first, second, count, beta1, beta2, inverseCorrection1, inverseRootCorrection2,
                      learningRate, epsilon)
    }

    /// In C (`CKernels`), as ``Kernels/choice`` says: the exact kernel (16 fixed lanes,
    /// the same bits at every vector width) or the fast one (AVX-512 with fused
    /// multiply-adds when the CPU has it). The compiler cannot vectorize the max and sum
    /// reductions of a Swift loop (it must keep their written order), and Swift code is
    /// built for the baseline CPU.
    public static func shiftedExponentials(_ row: UnsafeMutableBufferPointer<Float>, bias: UnsafeBufferPointer<Float>?)
        -> (largest: Float, total: Float) {
        guard let x = row.baseAddress, row.count > 0 else { return (-.infinity, 0) }
        if let bias { precondition(bias.count == row.count, "shiftedExponentials: bias of \(bias.count) for a row of \(row.count)") }
        var largest: Float = 0, total: Float = 0
        if Kernels.choice == .exact {
            ck_shifted_exponentials_exact(x, bias?.baseAddress, row.count, &largest, &total)
        } else {
            ck_shifted_exponentials(x, bias?.baseAddress, row.count, &largest, &total)
        }
        return (largest, total)
    }
}

extension Double: TensorScalar {
    @inline(__always) public static func exp(_ x: Double) -> Double { ExactMath.exp(x) }
    @inline(__always) public static func log(_ x: Double) -> Double { ExactMath.log(x) }
    @inline(__always) public static func tanh(_ x: Double) -> Double { ExactMath.tanh(x) }

    /// exp over a buffer, element by element (Double is for checks, not speed).
    public static func exponentiate(_ x: UnsafeMutableBufferPointer<Double>) {
        for i in x.indices { x[i] = ExactMath.exp(x[i]) }
    }

    public static func tanh(_ x: UnsafeMutableBufferPointer<Double>) {
        for i in x.indices { x[i] = ExactMath.tanh(x[i]) }
    }

    /// Two branches so that exp never overflows.
    public static func logistic(_ x: UnsafeMutableBufferPointer<Double>) {
        for i in x.indices {
            let v = x[i]
            if v >= 0 { x[i] = 1 / (1 + ExactMath.exp(-v)) } else { let e = ExactMath.exp(v); x[i] = e / (1 + e) }
        }
    }

    public static func adamUpdate(
        theta: UnsafeMutablePointer<Double>, gradient: UnsafePointer<Double>, first: UnsafeMutablePointer<Double>,
        second: UnsafeMutablePointer<Double>, count: Int, beta1: Double, beta2: Double, inverseCorrection1: Double,
        inverseRootCorrection2: Double, learningRate: Double, epsilon: Double
    ) {
        ck_adam_double(theta, gradient, first, second, count, beta1, beta2, inverseCorrection1, inverseRootCorrection2,
                       learningRate, epsilon)
    }

    public static func shiftedExponentials(_ row: UnsafeMutableBufferPointer<Double>, bias: UnsafeBufferPointer<Double>?)
        -> (largest: Double, total: Double) {
        if let bias { for j in row.indices { row[j] += bias[j] } }
        var largest = -Double.infinity
        for x in row { largest = Swift.max(largest, x) }
        var total = 0.0
        for j in row.indices { row[j] = ExactMath.exp(row[j] - largest); total += row[j] }
        return (largest, total)
    }
    public static func gemm(
        transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
        alpha: Double, a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        beta: Double, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        if Kernels.choice == .exact {
            return exactProductParts(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                                     a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc) { ta, tb, m, n, a, b, c in
                ck_dgemm_exact(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
            }
        }
        cblas_dgemm(
            CblasRowMajor, blasTranspose(transposeA), blasTranspose(transposeB),
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb),
            beta, c, blasint(ldc))
    }
}

/// The BLAS behind the fast kernels: OpenBLAS, or Accelerate on Apple platforms.
public enum BLAS {
    /// OpenBLAS's thread count. Many threads pay off on large products; on the small
    /// matrices of a mini-batch step they mostly spin, so chapters may set it to 1.
    /// (Accelerate chooses its own threads: 1 is reported, and setting does nothing.)
    /// The exact kernels run on the calling thread whatever this says.
    public static var threads: Int {
        get {
            #if canImport(Accelerate)
            return 1
            #else
            return Int(openblas_get_num_threads())
            #endif
        }
        set {
            #if !canImport(Accelerate)
            openblas_set_num_threads(Int32(max(newValue, 1)))
            #endif
        }
    }

    /// The library's name, for the line a chapter prints about its kernels.
    public static var name: String {
        #if canImport(Accelerate)
        return "Accelerate"
        #else
        return "OpenBLAS"
        #endif
    }
}
