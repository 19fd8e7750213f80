import CKernels
import Foundation
import XCTest
@testable import NeuralKit

/// The exact kernels: each output is the sequential sum the header promises, computed here
/// by a plain loop, and the same bits at every CPU level this machine has (the portable C,
/// AVX2, AVX-512). The fast kernels are checked against a rounding-error bound instead.
final class ExactKernelTests: XCTestCase {
    /// The levels this CPU and this build can run (always the portable one).
    let levels = Array(Int32(CK_LEVEL_PORTABLE)...ck_cpu_level_available())

    override func tearDown() { Kernels.choice = .exact }

    // MARK: - Matrix products

    /// Shapes with every remainder the blocking has: rows not a multiple of the tile's
    /// 4 or 6, p past one 256-long chunk, columns not a multiple of the strips and past one
    /// 256-wide panel; and fewer than 4 rows (with a transposed B, the few-rows path).
    let shapes: [(m: Int, n: Int, k: Int)] = [(1, 1, 1), (3, 5, 2), (2, 19, 7), (1, 300, 261), (4, 16, 4), (7, 33, 13), (9, 300, 261), (20, 17, 520), (5, 257, 3)]

    /// C = op(A) op(B) (+ C) by the definition, one term at a time in order p = 0 … k−1.
    func reference<T: BinaryFloatingPoint>(
        _ a: [T], _ b: [T], _ c: [T], m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool, alpha: T, beta: T
    ) -> [T] {
        var out = c
        for i in 0..<m {
            for j in 0..<n {
                var sum: T = beta == 1 && alpha == 1 ? c[i * n + j] : 0
                for p in 0..<k {
                    let x = transposeA ? a[p * m + i] : a[i * k + p]
                    let y = transposeB ? b[j * k + p] : b[p * n + j]
                    let product = x * y
                    sum = sum + product
                }
                if alpha == 1 && (beta == 0 || beta == 1) {
                    out[i * n + j] = sum
                } else {
                    let scaled = alpha * sum
                    out[i * n + j] = beta == 0 ? scaled : scaled + beta * c[i * n + j]
                }
            }
        }
        return out
    }

    func randomArray<T: BinaryFloatingPoint>(_ count: Int, _ g: inout SeededGenerator) -> [T] {
        (0..<count).map { _ in T(g.uniform(-1...1)) }
    }

    /// The same bits (so +0 and −0 differ, and a NaN equals the same NaN).
    func identical<T: BinaryFloatingPoint>(_ x: T, _ y: T) -> Bool {
        x.sign == y.sign && x.exponentBitPattern == y.exponentBitPattern && x.significandBitPattern == y.significandBitPattern
    }

    /// Every shape, transpose and (α, β) of `scalings`, at every level, against `reference`.
    func assertOrderedSums<T: BinaryFloatingPoint>(
        _: T.Type, seed: UInt64, scalings: [(T, T)],
        product: (Int32, Bool, Bool, Int, Int, Int, T, [T], Int, [T], Int, T, inout [T]) -> Void
    ) {
        var g = SeededGenerator(seed: seed)
        for (m, n, k) in shapes {
            for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
                for (alpha, beta) in scalings {
                    let a: [T] = randomArray(m * k, &g), b: [T] = randomArray(k * n, &g), c: [T] = randomArray(m * n, &g)
                    let expected = reference(a, b, c, m: m, n: n, k: k, transposeA: ta, transposeB: tb, alpha: alpha, beta: beta)
                    for level in levels {
                        var out = c
                        product(level, ta, tb, m, n, k, alpha, a, ta ? m : k, b, tb ? k : n, beta, &out)
                        XCTAssertTrue(zip(out, expected).allSatisfy { identical($0, $1) },
                                      "\(T.self) \(m)×\(n)×\(k) ta=\(ta) tb=\(tb) α=\(alpha) β=\(beta) level \(level)")
                    }
                }
            }
        }
    }

    func testExactFloatProductIsTheOrderedSumAtEveryLevel() {
        assertOrderedSums(Float.self, seed: 11, scalings: [(1, 0), (1, 1), (0.5, 2)]) {
            level, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, out in
            ck_sgemm_exact_level(level, ta ? 1 : 0, tb ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, &out, n)
        }
    }

    func testExactDoubleProductIsTheOrderedSumAtEveryLevel() {
        assertOrderedSums(Double.self, seed: 12, scalings: [(1, 0), (1, 1), (-1.5, 0.25)]) {
            level, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, out in
            ck_dgemm_exact_level(level, ta ? 1 : 0, tb ? 1 : 0, m, n, k, alpha, a, lda, b, ldb, beta, &out, n)
        }
    }

    /// β = 0 never reads C (it may hold NaN); k = 0 leaves β C.
    func testExactProductEdgeCases() {
        var c: [Float] = [.nan, .nan, .nan, .nan]
        let a: [Float] = [1, 2], b: [Float] = [3, 4]
        ck_sgemm_exact(0, 0, 2, 2, 1, 1, a, 1, b, 2, 0, &c, 2)
        XCTAssertEqual(c, [3, 4, 6, 8])
        var d: [Float] = [1, 2, 3, 4]
        ck_sgemm_exact(0, 0, 2, 2, 0, 1, a, 0, b, 2, 1, &d, 2)
        XCTAssertEqual(d, [1, 2, 3, 4])
        ck_sgemm_exact(0, 0, 2, 2, 0, 1, a, 0, b, 2, 0, &d, 2)
        XCTAssertEqual(d, [0, 0, 0, 0])
    }

    /// A row of a product is the same number however many rows are computed with it, and
    /// however the rows are split between threads (what the bit-for-bit tests of the
    /// whole-window ops and of batched scoring rely on).
    func testProductRowsDoNotDependOnTheBatch() {
        var g = SeededGenerator(seed: 13)
        let a = Tensor<Float>.uniform([37, 200], bound: 1, using: &g), w = Tensor<Float>.uniform([900, 200], bound: 1, using: &g)
        let whole = gemm(a, w, transposeB: true, parallel: true)
        for i in [0, 5, 36] {
            let alone = gemm(Tensor(shape: [1, 200], scalars: a.row(i)), w, transposeB: true)
            XCTAssertEqual(alone.scalars.map(\.bitPattern), whole.row(i).map(\.bitPattern), "row \(i)")
        }
    }

    /// The fused output layer (its parts on two threads, or one after the other) gives the
    /// same loss and gradients with one thread as with two.
    func testFusedOutputLayerDoesNotDependOnTheThreadCount() {
        func run(threads: Int) -> [[UInt32]] {
            FusedKernels.threads = threads
            defer { FusedKernels.threads = 2 }
            var g = SeededGenerator(seed: 14)
            let h = Parameter<Float>("h", .uniform([40, 64], bound: 1, using: &g))
            let w = Parameter<Float>("W", .uniform([7000, 64], bound: 0.3, using: &g))
            let b = Parameter<Float>("b", .uniform([7000], bound: 0.3, using: &g))
            let labels = (0..<40).map { _ in g.nextInt(below: 7000) }
            let tape = Tape<Float>()
            let loss = linearSoftmaxCrossEntropy(tape.parameter(h), weight: tape.parameter(w), bias: tape.parameter(b), labels: labels)
            tape.backward(from: loss)
            return [[loss.value.scalar.bitPattern], h.gradient.scalars.map(\.bitPattern),
                    w.gradient.scalars.map(\.bitPattern), b.gradient.scalars.map(\.bitPattern)]
        }
        XCTAssertEqual(40 * 7000 >= 1 << 18, true, "large enough to be split in parts")
        XCTAssertEqual(run(threads: 1), run(threads: 2))
    }

    /// The fast kernels (OpenBLAS) agree with the exact ones within the classic bound for a
    /// sum of k products in any order, |error| ≤ γ_k Σ|a||b| with γ_k = kε/(1 − kε), twice
    /// (one for each): the order of their additions is theirs to choose, so no tighter
    /// promise holds across BLAS builds and CPUs.
    func testFastProductIsWithinTheRoundingBound() {
        var g = SeededGenerator(seed: 15)
        let (m, n, k) = (20, 300, 200)
        let a = Tensor<Float>.uniform([m, k], bound: 1, using: &g), b = Tensor<Float>.uniform([k, n], bound: 1, using: &g)
        Kernels.choice = .fast
        let fast = gemm(a, b)
        Kernels.choice = .exact
        let exact = gemm(a, b)
        let eps = Double(Float.ulpOfOne) / 2, gamma = Double(k) * eps / (1 - Double(k) * eps)
        var compared = 0
        for i in 0..<m {
            for j in 0..<n {
                var magnitude = 0.0
                for p in 0..<k { magnitude += abs(Double(a[i, p]) * Double(b[p, j])) }
                XCTAssertLessThanOrEqual(abs(Double(fast[i, j]) - Double(exact[i, j])), 2 * gamma * magnitude, "(\(i), \(j))")
                compared += 1
            }
        }
        XCTAssertEqual(compared, m * n)
    }

    // MARK: - Softmax rows

    /// The exact softmax row at every level: the same exponentials, maximum and total, and
    /// the total is the 16-lane sum combined in the documented tree, computed here.
    func testExactSoftmaxRowIsTheSameAtEveryLevel() {
        var g = SeededGenerator(seed: 16)
        for n in [1, 2, 15, 16, 17, 33, 100, 1000, 10_001] {
            let row: [Float] = (0..<n).map { _ in Float(g.uniform(-30...30)) }
            let bias: [Float] = (0..<n).map { _ in Float(g.uniform(-1...1)) }
            for withBias in [false, true] {
                var results: [([UInt32], UInt32, UInt32)] = []
                for level in levels {
                    var x = row
                    var largest: Float = 0, total: Float = 0
                    if withBias {
                        ck_shifted_exponentials_exact_level(level, &x, bias, n, &largest, &total)
                    } else {
                        ck_shifted_exponentials_exact_level(level, &x, nil, n, &largest, &total)
                    }
                    results.append((x.map(\.bitPattern), largest.bitPattern, total.bitPattern))
                }
                for r in results.dropFirst() {
                    XCTAssertEqual(r.0, results[0].0, "n = \(n): exponentials")
                    XCTAssertEqual(r.1, results[0].1, "n = \(n): maximum")
                    XCTAssertEqual(r.2, results[0].2, "n = \(n): total")
                }
                // The maximum, the exponentials (Swift's Float.fastExp, the same formula
                // written in the other language) and the lanes' tree, recomputed here.
                let z = withBias ? zip(row, bias).map { $0 + $1 } : row
                let m = z.max()!
                XCTAssertEqual(Float(bitPattern: results[0].1), m)
                let e = z.map { Float.fastExp($0 - m) }
                XCTAssertEqual(results[0].0, e.map(\.bitPattern), "n = \(n): exponentials against Float.fastExp")
                var lanes = [Float](repeating: 0, count: 16)
                for (j, v) in e.enumerated() { lanes[j % 16] = lanes[j % 16] + v }
                var width = 8
                while width >= 1 {
                    for l in 0..<width { lanes[l] = lanes[l] + lanes[l + width] }
                    width /= 2
                }
                XCTAssertEqual(results[0].2, lanes[0].bitPattern, "n = \(n): total")
                // and each exponential is within 2e-7 (relative) of the C library's.
                for (zj, ej) in zip(z, e) {
                    let truth = Foundation.exp(Double(zj - m))
                    XCTAssertLessThanOrEqual(abs(Double(ej) - truth), 2.5e-7 * truth + 1e-38)
                }
            }
        }
    }

    /// The fast softmax row at every level this machine has (AVX-512, AVX2 + FMA, the
    /// portable C): each exponential within 4e-7 (relative) of the C library's exp(z − m),
    /// the maximum exact, the total within 1e-6 of the Double sum, NaN propagated.
    func testFastSoftmaxRowAtEveryLevel() {
        var g = SeededGenerator(seed: 17)
        for n in [1, 7, 8, 9, 16, 17, 33, 100, 10_001] {
            let row: [Float] = (0..<n).map { _ in Float(g.uniform(-90...90)) }
            let bias: [Float] = (0..<n).map { _ in Float(g.uniform(-1...1)) }
            for level in levels {
                for withBias in [false, true] {
                    var x = row
                    var largest: Float = 0, total: Float = 0
                    if withBias {
                        ck_shifted_exponentials_level(level, &x, bias, n, &largest, &total)
                    } else {
                        ck_shifted_exponentials_level(level, &x, nil, n, &largest, &total)
                    }
                    let z = withBias ? zip(row, bias).map { $0 + $1 } : row
                    let m = z.max()!
                    XCTAssertEqual(largest, m, "level \(level), n = \(n)")
                    var sum = 0.0
                    for (j, zj) in z.enumerated() {
                        let truth = Foundation.exp(Double(zj - m))
                        sum += truth
                        XCTAssertLessThanOrEqual(abs(Double(x[j]) - truth), 4e-7 * truth + 1e-37, "level \(level), n = \(n), j = \(j)")
                    }
                    XCTAssertEqual(Double(total), sum, accuracy: 1e-6 * sum, "level \(level), n = \(n)")
                }
            }
        }
        for level in levels {
            for position in [1, 12] {
                var x = [Float](repeating: 0.5, count: 20)
                x[position] = .nan
                var largest: Float = 0, total: Float = 0
                ck_shifted_exponentials_level(level, &x, nil, x.count, &largest, &total)
                XCTAssertTrue(largest.isNaN && total.isNaN, "level \(level), NaN at \(position)")
            }
        }
    }

    func testSoftmaxRowPropagatesNaN() {
        for level in levels {
            var x: [Float] = [1, .nan, 3] + [Float](repeating: 0, count: 20)
            var largest: Float = 0, total: Float = 0
            ck_shifted_exponentials_exact_level(level, &x, nil, x.count, &largest, &total)
            XCTAssertTrue(largest.isNaN && total.isNaN, "level \(level)")
        }
    }

    // MARK: - Element-wise kernels

    /// exp, tanh and σ over a buffer in C, at every level, equal Swift's element functions
    /// (the same formula written in the other language) bit for bit, NaN and ±∞ included.
    func testElementwiseKernelsAreSwiftsFormulasAtEveryLevel() {
        var g = SeededGenerator(seed: 19)
        let values: [Float] = (0..<5000).map { _ in Float(g.uniform(-100...100)) } + (0..<2000).map { _ in Float(g.uniform(-1...1)) }
            + [0, -0, .nan, .infinity, -.infinity, 88, -87.3, 0.625, -0.625, 1e-30, .leastNonzeroMagnitude]
        for level in levels {
            var e = values, t = values, s = values
            ck_exp_float_level(level, &e, e.count)
            ck_tanh_float_level(level, &t, t.count)
            ck_logistic_float_level(level, &s, s.count)
            XCTAssertEqual(e.map(\.bitPattern), values.map { Float.fastExp($0).bitPattern }, "exp, level \(level)")
            XCTAssertEqual(t.map(\.bitPattern), values.map { Float.fastTanh($0).bitPattern }, "tanh, level \(level)")
            XCTAssertEqual(s.map(\.bitPattern), values.map { (1 / (1 + Float.fastExp(-$0))).bitPattern }, "σ, level \(level)")
        }
    }

    /// One Adam update in C, at every level, is the formula of `Adam`'s documentation
    /// computed here, bit for bit.
    func testAdamKernelIsTheFormulaAtEveryLevel() {
        var g = SeededGenerator(seed: 20)
        let n = 1037
        let theta0: [Float] = (0..<n).map { _ in Float(g.uniform(-1...1)) }
        let grad: [Float] = (0..<n).map { _ in Float(g.uniform(-1...1)) }
        let m0: [Float] = (0..<n).map { _ in Float(g.uniform(-0.1...0.1)) }
        let v0: [Float] = (0..<n).map { _ in Float(g.uniform(0...0.01)) }
        let (b1, b2, eta, eps): (Float, Float, Float, Float) = (0.9, 0.999, 1e-3, 1e-8)
        let c1: Float = 1 / (1 - b1 * b1 * b1), rc2: Float = 1 / (1 - b2 * b2 * b2).squareRoot()
        var theta = theta0, m = m0, v = v0
        for i in 0..<n {
            m[i] = b1 * m[i] + (1 - b1) * grad[i]
            v[i] = b2 * v[i] + (1 - b2) * grad[i] * grad[i]
            theta[i] -= eta * (m[i] * c1) / (v[i].squareRoot() * rc2 + eps)
        }
        for level in levels {
            var t = theta0, mm = m0, vv = v0
            ck_adam_float_level(level, &t, grad, &mm, &vv, n, b1, b2, c1, rc2, eta, eps)
            XCTAssertEqual(t.map(\.bitPattern), theta.map(\.bitPattern), "θ, level \(level)")
            XCTAssertEqual(mm.map(\.bitPattern), m.map(\.bitPattern), "m, level \(level)")
            XCTAssertEqual(vv.map(\.bitPattern), v.map(\.bitPattern), "v, level \(level)")
        }
    }

    // MARK: - NeuralKit's own exp, log, tanh, cos

    func ulps(_ x: Double, _ truth: Double) -> Double {
        if x == truth { return 0 }
        return abs(x - truth) / truth.magnitude.ulp
    }

    func testExactMathAgainstTheCLibrary() {
        var g = SeededGenerator(seed: 17)
        var worst = (exp: 0.0, log: 0.0, tanh: 0.0, cos: 0.0)
        for _ in 0..<20_000 {
            let x = g.uniform(-700...700), small = g.uniform(-3...3)
            for v in [x, small] { worst.exp = max(worst.exp, ulps(ExactMath.exp(v), Foundation.exp(v))) }
            let positive = Foundation.exp(g.uniform(-700...700))
            for v in [positive, 1 + small * 1e-9, g.uniform(0.5...2)] { worst.log = max(worst.log, ulps(ExactMath.log(v), Foundation.log(v))) }
            for v in [small, small * 1e-6, g.uniform(0.5...0.6), g.uniform(-25...25)] {
                worst.tanh = max(worst.tanh, ulps(ExactMath.tanh(v), Foundation.tanh(v)))
            }
            let u = g.nextUnit()
            // cos(2πu) near its zeros loses relative accuracy in any formula: compare in
            // absolute terms there (ulps of 1).
            worst.cos = max(worst.cos, abs(ExactMath.cosTurns(u) - Foundation.cos(2 * Double.pi * u)) / (1.0).ulp)
        }
        XCTAssertLessThanOrEqual(worst.exp, 4, "exp")
        XCTAssertLessThanOrEqual(worst.log, 4, "log")
        XCTAssertLessThanOrEqual(worst.tanh, 6, "tanh")
        XCTAssertLessThanOrEqual(worst.cos, 8, "cos")
        XCTAssertEqual(ExactMath.exp(0), 1)
        XCTAssertEqual(ExactMath.log(1), 0)
        XCTAssertEqual(ExactMath.exp(-800), 0)
        XCTAssertEqual(ExactMath.exp(710), .infinity)
        XCTAssertEqual(ExactMath.log(0), -.infinity)
        XCTAssertTrue(ExactMath.log(-1).isNaN && ExactMath.exp(.nan).isNaN && ExactMath.tanh(.nan).isNaN)
        XCTAssertEqual(ExactMath.tanh(30), 1)
        XCTAssertEqual(ExactMath.tanh(-30), -1)
        XCTAssertLessThanOrEqual(ulps(ExactMath.log(Double.leastNonzeroMagnitude), Foundation.log(Double.leastNonzeroMagnitude)), 2)
        XCTAssertLessThanOrEqual(ulps(ExactMath.exp(-740), Foundation.exp(-740)), 1, "a subnormal result")
        XCTAssertEqual(ExactMath.cosTurns(0), 1)
        XCTAssertEqual(ExactMath.cosTurns(0.5), -1)
    }

    func testFloatScalarFunctionsAreNeuralKitsOwn() {
        var g = SeededGenerator(seed: 18)
        for _ in 0..<10_000 {
            let x = Float(g.uniform(-20...20))
            XCTAssertLessThanOrEqual(abs(Double(Float.exp(x)) - Foundation.exp(Double(x))), 2.5e-7 * Foundation.exp(Double(x)))
            XCTAssertLessThanOrEqual(abs(Double(Float.tanh(x)) - Foundation.tanh(Double(x))), 3e-7)
            let p = Float(g.uniform(1e-6...100))
            XCTAssertLessThanOrEqual(abs(Double(Float.log(p)) - Foundation.log(Double(p))), Double(abs(Float.log(p)).ulp) + 1e-12)
        }
    }
}
