import CKernels
import XCTest
@testable import NeuralKit

/// The fast kernels' own products (`packed.c`, ``PackedProducts``): the packing layout, the
/// order of operations they promise (checked against a sum written out here), the same bits
/// at every vector width; and what uses them, under the fast kernels: the whole-window
/// recurrent kernels against the readable steps, and the output layer's one-pass backward
/// against the Double gradients of the exact kernels.
final class PackedProductTests: XCTestCase {
    override func tearDown() { Kernels.choice = .exact }

    /// packed.c's blocks of k, as its comment states them: at most 320 terms; a remainder
    /// of 321 to 639 in two near-halves, the first rounded up to a multiple of 16.
    func blocks(_ k: Int) -> [Range<Int>] {
        var out: [Range<Int>] = [], q = 0
        while q < k {
            let remaining = k - q
            let size = remaining >= 640 ? 320 : remaining > 320 ? (remaining / 2 + 15) / 16 * 16 : remaining
            out.append(q..<(q + size))
            q += size
        }
        return out
    }

    /// C (m × n) as packed.c documents it: per block of k, a chain of fused multiply-adds
    /// from 0, each block's sum added to C in turn (the first is C itself unless
    /// `accumulate`); A's element (i, q) is `a(i, q)`, B's (j, q) `b(j, q)`.
    func documentedProduct(m: Int, n: Int, k: Int, a: (Int, Int) -> Float, b: (Int, Int) -> Float,
                           start: [Float], accumulate: Bool) -> [Float] {
        var c = start
        for i in 0..<m {
            for j in 0..<n {
                var total = start[i * n + j]
                for (index, block) in blocks(k).enumerated() {
                    var sum: Float = 0
                    for q in block { sum = sum.addingProduct(a(i, q), b(j, q)) }
                    total = index == 0 && !accumulate ? sum : total + sum
                }
                c[i * n + j] = total
            }
        }
        return c
    }

    func testPackingLaysOutPanelsOf16() {
        var g = SeededGenerator(seed: 41)
        for (n, k) in [(1, 1), (16, 16), (17, 5), (40, 33), (200, 200), (7, 300)] {
            for rowsContiguous in [true, false] {  // B's rows along memory (the weights), or its columns
                let b = (0..<(n * k)).map { _ in Float(g.uniform(-1...1)) }
                let (js, qs) = rowsContiguous ? (k, 1) : (1, n)
                var packed = [Float](repeating: .nan, count: ck_packed_floats(n, k))
                ck_pack_float(n, k, b, js, qs, &packed)
                XCTAssertEqual(packed.count, (n + 15) / 16 * 16 * k)
                for p in 0..<((n + 15) / 16) {
                    for q in 0..<k {
                        for jj in 0..<16 {
                            let j = p * 16 + jj
                            XCTAssertEqual(packed[(p * k + q) * 16 + jj], j < n ? b[j * js + q * qs] : 0, "n \(n) k \(k) (\(j), \(q))")
                        }
                    }
                }
            }
        }
    }

    /// Every element of C is the documented sequence: per block of k, a chain of fused
    /// multiply-adds from 0, each block's sum added to C in turn. The same bits at every
    /// level this CPU has (portable fmaf, AVX2 + FMA, AVX-512), for A read in place or
    /// transposed, with and without accumulating into C.
    func testPackedProductIsTheDocumentedSumAtEveryLevel() {
        var g = SeededGenerator(seed: 42)
        let levels = [CK_LEVEL_PORTABLE, CK_LEVEL_AVX2, CK_LEVEL_AVX512].filter { $0 <= ck_cpu_level_available() }
        var compared = 0
        for (m, n, k) in [(1, 1, 1), (3, 17, 5), (13, 40, 320), (25, 33, 321), (7, 50, 400), (12, 16, 639), (5, 70, 640), (2, 9, 1000)] {
            for transposedA in [false, true] {
                for accumulate in [false, true] {
                    let a = (0..<(m * k)).map { _ in Float(g.uniform(-1...1)) }
                    let b = (0..<(n * k)).map { _ in Float(g.uniform(-1...1)) }
                    let start = (0..<(m * n)).map { _ in Float(g.uniform(-1...1)) }
                    let (ais, aqs) = transposedA ? (1, m) : (k, 1)  // A's element (i, q) at i * ais + q * aqs
                    let expected = documentedProduct(m: m, n: n, k: k, a: { a[$0 * ais + $1 * aqs] }, b: { b[$0 * k + $1] },
                                                     start: start, accumulate: accumulate)
                    var packed = [Float](repeating: 0, count: ck_packed_floats(n, k))
                    ck_pack_float(n, k, b, k, 1, &packed)
                    for level in levels {
                        var c = start
                        ck_sgemm_packed_level(level, m, n, k, a, ais, aqs, packed, &c, n, accumulate ? 1 : 0)
                        XCTAssertEqual(c.map(\.bitPattern), expected.map(\.bitPattern),
                                       "level \(level), \(m) × \(n) × \(k), A transposed \(transposedA), accumulate \(accumulate)")
                        compared += 1
                    }
                }
            }
        }
        XCTAssertEqual(compared, 8 * 4 * levels.count)
    }

    /// The same product with the roles swapped (`ck_sgemm_packed_left`: A packed, B read in
    /// place, as the output layer's logits h Wᵀ are computed): every element is the same
    /// documented sum, so the same bits as `ck_sgemm_packed`, at every level; B's rows along
    /// memory or its columns, sizes across the tiles' edges (16 columns on AVX-512, 6 on AVX2,
    /// panels of 16 rows), with and without accumulating into C.
    func testLeftPackedProductIsTheSameDocumentedSumAtEveryLevel() {
        var g = SeededGenerator(seed: 46)
        let levels = [CK_LEVEL_PORTABLE, CK_LEVEL_AVX2, CK_LEVEL_AVX512].filter { $0 <= ck_cpu_level_available() }
        var compared = 0
        for (m, n, k) in [(1, 1, 1), (17, 5, 3), (16, 16, 320), (31, 45, 321), (40, 9, 639), (5, 70, 640), (33, 23, 1000), (48, 100, 64)] {
            for rowsContiguous in [true, false] {
                for accumulate in [false, true] {
                    let a = (0..<(m * k)).map { _ in Float(g.uniform(-1...1)) }
                    let b = (0..<(n * k)).map { _ in Float(g.uniform(-1...1)) }
                    let start = (0..<(m * n)).map { _ in Float(g.uniform(-1...1)) }
                    let (bjs, bqs) = rowsContiguous ? (k, 1) : (1, n)  // B's element (j, q) at j * bjs + q * bqs
                    let expected = documentedProduct(m: m, n: n, k: k, a: { a[$0 * k + $1] }, b: { b[$0 * bjs + $1 * bqs] },
                                                     start: start, accumulate: accumulate)
                    var packed = [Float](repeating: 0, count: ck_packed_floats(m, k))
                    ck_pack_float(m, k, a, k, 1, &packed)
                    for level in levels {
                        var c = start
                        ck_sgemm_packed_left_level(level, m, n, k, packed, b, bjs, bqs, &c, n, accumulate ? 1 : 0)
                        XCTAssertEqual(c.map(\.bitPattern), expected.map(\.bitPattern),
                                       "level \(level), \(m) × \(n) × \(k), B's rows contiguous \(rowsContiguous), accumulate \(accumulate)")
                        compared += 1
                    }
                }
            }
        }
        XCTAssertEqual(compared, 8 * 4 * levels.count)
    }

    /// Under the fast kernels the whole-window kernels multiply by packed weights (both
    /// halves of the batch on two threads, forward and backward); the readable steps call
    /// the BLAS. Their values and gradients agree to rounding (on AVX-512 machines they are
    /// the same bits, which is not asserted: other BLAS builds sum in other orders).
    func testWholeWindowKernelsAgreeWithTheStepsUnderTheFastKernels() {
        Kernels.choice = .fast
        let (steps, batch, hidden, input) = (6, 20, 48, 24)
        func compare<Cell: RecurrentCell>(_ name: String, _ cell: Cell) where Cell.Scalar == Float {
            var g = SeededGenerator(seed: 43)
            let x = Parameter<Float>("x", .uniform([steps * batch, input], bound: 1, using: &g))
            let state = Cell.State.tensorNames.map { Parameter<Float>("\($0)(0)", .uniform([batch, hidden], bound: 1, using: &g)) }
            let weights = Tensor<Float>.uniform([steps * batch, hidden], bound: 1, using: &g)
            let all = cell.parameters + [x] + state
            var runs: [(values: [Float], gradients: [[Float]])] = []
            for run in [WindowRun.wholeWindow, .stepByStep] {
                let t = Tape<Float>()
                let (outputs, _) = cell.window(projected: cell.projectInputs(t.parameter(x)), steps: steps,
                                               state: Cell.State(tensors: state.map { t.parameter($0) }), run: run)
                let loss = sum(outputs * t.input(weights, name: "r"))
                t.backward(from: loss)
                runs.append((outputs.value.scalars, all.map(\.gradient.scalars)))
                all.zeroGradients()
            }
            XCTAssertLessThan(zip(runs[0].values, runs[1].values).map { abs($0 - $1) }.max()!, 1e-5, "\(name): h(t)")
            for (p, (u, w)) in zip(all, zip(runs[0].gradients, runs[1].gradients)) {
                let scale = w.map(abs).max()!
                XCTAssertGreaterThan(scale, 0, "\(name): \(p.name)")
                XCTAssertLessThan(zip(u, w).map { abs($0 - $1) }.max()!, 1e-5 * scale, "\(name): gradient of \(p.name)")
            }
        }
        var g = SeededGenerator(seed: 44)
        compare("RNN", RNNCell<Float>(inputSize: input, hiddenSize: hidden, name: "rnn", using: &g))
        compare("LSTM", LSTMCell<Float>(inputSize: input, hiddenSize: hidden, name: "lstm", using: &g))
        compare("GRU", GRUCell<Float>(inputSize: input, hiddenSize: hidden, name: "gru", using: &g))
    }

    /// The output layer's backward pass in one pass over d logits (``packedOutputBackward``,
    /// taken at this size under the fast kernels) gives the gradients the exact kernels give
    /// in Double, to Float rounding, and so does the loss (its logits the left packed
    /// product); the weight's gradient is written over a zeroed gradient and added
    /// to one that is not, and a padding row counts for nothing.
    func testOutputLayerBackwardInOnePassUnderTheFastKernels() {
        let (n, v, k) = (48, 7000, 64)
        var g = SeededGenerator(seed: 45)
        let hd = Tensor<Double>.uniform([n, k], bound: 1, using: &g)
        let wd = Tensor<Double>.uniform([v, k], bound: 0.5, using: &g)
        let bd = Tensor<Double>.uniform([v], bound: 1, using: &g)
        let labels = (0..<n).map { $0 == 5 ? -1 : ($0 * 7919) % v }
        // The reference: the unfused composition, exact kernels, in Double.
        Kernels.choice = .exact
        let (h, w, b) = (Parameter("h", hd), Parameter("W", wd), Parameter("b", bd))
        let tape = Tape<Double>()
        let kept = labels.indices.filter { labels[$0] >= 0 }
        let logits = matmul(gather(tape.parameter(h), rows: kept), tape.parameter(w), transposeRight: true) + tape.parameter(b)
        let referenceLoss = softmaxCrossEntropy(logits: logits, labels: kept.map { labels[$0] })
        tape.backward(from: referenceLoss)
        let reference = [h, w, b].map { $0.gradient.scalars }

        Kernels.choice = .fast
        XCTAssertFalse(PackedProducts.small(m: n, n: k, k: v / 2, transposedB: false), "large enough for the packed pass")
        let float = { (t: Tensor<Double>) in Tensor<Float>(shape: t.shape, scalars: t.scalars.map { Float($0) }) }
        let (hf, wf, bf) = (Parameter("h", float(hd)), Parameter("W", float(wd)), Parameter("b", float(bd)))
        for pass in 1...2 {  // the second adds to the first's gradients (no zeroing between)
            let t = Tape<Float>()
            let loss = linearSoftmaxCrossEntropy(t.parameter(hf), weight: t.parameter(wf), bias: t.parameter(bf), labels: labels)
            // (at this size the logits h Wᵀ are the left packed product too)
            XCTAssertEqual(Double(loss.value.scalar), referenceLoss.value.scalar, accuracy: 1e-5 * referenceLoss.value.scalar, "the loss")
            t.backward(from: loss)
            for (p, expected) in zip([hf, wf, bf], reference) {
                let scale = expected.map(abs).max()!
                XCTAssertGreaterThan(scale, 0)
                let worst = zip(p.gradient.scalars, expected).map { abs(Double($0) - Double(pass) * $1) }.max()!
                XCTAssertLessThan(worst, 1e-5 * Double(pass) * scale, "pass \(pass), \(p.name)")
            }
        }
        [hf, wf, bf].zeroGradients()
        let t = Tape<Float>()
        t.backward(from: linearSoftmaxCrossEntropy(t.parameter(hf), weight: t.parameter(wf), bias: t.parameter(bf), labels: labels))
        let scale = reference[1].map(abs).max()!
        let worst = zip(wf.gradient.scalars, reference[1]).map { abs(Double($0) - $1) }.max()!
        XCTAssertLessThan(worst, 1e-5 * scale, "W's gradient written over a zeroed one")
        XCTAssertTrue(hf.gradient.scalars[(5 * k)..<(6 * k)].allSatisfy { $0 == 0 }, "the padding row's h gets no gradient")
    }
}
