import XCTest
@testable import NeuralKit

/// Embedding tables: the lookup's gradient lands in the rows used, and the optimizers
/// update only those rows.
final class SparseRowsTests: XCTestCase {
    func table() -> Parameter<Double> {
        var g = SeededGenerator(seed: 1)
        return Parameter("E", .uniform([6, 3], bound: 1, using: &g))
    }

    func lookUpAndBackward(_ p: Parameter<Double>, rows: [Int]) {
        let tape = Tape<Double>()
        var g = SeededGenerator(seed: 2)
        let r = tape.input(.uniform([rows.count, 3], bound: 1, using: &g), name: "r")
        tape.backward(from: sum(gather(tape.parameter(p), rows: rows) * r))
    }

    func testLookupMarksTheRowsItUsed() {
        let p = table()
        lookUpAndBackward(p, rows: [4, 1, 4])
        XCTAssertEqual(p.touchedRows, [1, 4])
        for row in [0, 2, 3, 5] { XCTAssertEqual(p.gradient.row(row), [0, 0, 0]) }
        XCTAssertNotEqual(p.gradient.row(4), [0, 0, 0])
        p.zeroGradient()
        XCTAssertEqual(p.gradient.scalars, [Double](repeating: 0, count: 18))
        XCTAssertEqual(p.touchedRows, [])
    }

    func testAnyDenseUseMakesTheGradientDense() {
        let p = table()
        let tape = Tape<Double>()
        let e = tape.parameter(p)
        let rows = gather(e, rows: [0])
        let product = matmul(rows, e, transposeRight: true)  // (1 × 3) · (6 × 3)ᵀ
        tape.backward(from: sum(product))
        XCTAssertNil(p.touchedRows)
    }

    func testRowSparseUpdatesEqualTheDenseUpdateForSGDAndAdagrad() {
        let sparse = table(), dense = table()
        lookUpAndBackward(sparse, rows: [2, 5])
        dense.gradient = sparse.gradient  // the same numbers, marked dense
        XCTAssertNil(dense.touchedRows)
        var a = SGD<Double>(learningRate: 0.3), b = SGD<Double>(learningRate: 0.3)
        a.step([sparse]); b.step([dense])
        XCTAssertEqual(sparse.value, dense.value)
        var c = Adagrad<Double>(learningRate: 0.3), d = Adagrad<Double>(learningRate: 0.3)
        c.step([sparse]); d.step([dense])
        XCTAssertEqual(sparse.value, dense.value)
    }

    func testLazyAdamLeavesUnusedRowsAlone() {
        let p = table()
        let before = p.value
        var adam = Adam<Double>(learningRate: 0.1)
        lookUpAndBackward(p, rows: [3])
        adam.step([p])
        for row in [0, 1, 2, 4, 5] { XCTAssertEqual(p.value.row(row), before.row(row)) }
        // the used row moved by about the learning rate in every coordinate (first Adam step)
        for (new, old) in zip(p.value.row(3), before.row(3)) { XCTAssertEqual(abs(new - old), 0.1, accuracy: 1e-6) }
    }

    func testClippingKeepsSparsity() {
        let p = table()
        lookUpAndBackward(p, rows: [1])
        clipGradientNorm([p], threshold: 1e-3)
        XCTAssertEqual(p.touchedRows, [1])
        XCTAssertEqual(p.gradient.norm, 1e-3, accuracy: 1e-12)
    }
}
