import XCTest
@testable import NeuralKit

/// Forward values against closed forms and naive loops.
final class OpForwardTests: XCTestCase {
    func testMatmulMatchesNaiveLoopInFloatAndDouble() {
        var g = SeededGenerator(seed: 1)
        let a = Tensor<Double>.uniform([7, 5], bound: 1, using: &g)
        let b = Tensor<Double>.uniform([5, 3], bound: 1, using: &g)
        let tape = Tape<Double>()
        let c = matmul(tape.input(a, name: "a"), tape.input(b, name: "b")).value
        let floatTape = Tape<Float>()
        let cf = matmul(floatTape.input(a.converted(), name: "a"), floatTape.input(b.converted(), name: "b")).value
        for i in 0..<7 {
            for j in 0..<3 {
                var expected = 0.0
                for k in 0..<5 { expected += a[i, k] * b[k, j] }
                XCTAssertEqual(c[i, j], expected, accuracy: 1e-12)
                XCTAssertEqual(Double(cf[i, j]), expected, accuracy: 1e-5)
            }
        }
    }

    func testSoftmaxRowsSumToOneAndMatchClosedForm() {
        let tape = Tape<Double>()
        let x = tape.input(Tensor(rows: [[1, 2, 3], [1000, 1000, 1000]]), name: "x")
        let y = softmax(x).value
        let z = exp(1.0) + exp(2.0) + exp(3.0)
        XCTAssertEqual(y[0, 0], exp(1.0) / z, accuracy: 1e-15)
        XCTAssertEqual(y[0, 2], exp(3.0) / z, accuracy: 1e-15)
        for j in 0..<3 { XCTAssertEqual(y[1, j], 1.0 / 3.0, accuracy: 1e-15) }  // no overflow
        XCTAssertEqual(y.row(0).reduce(0, +), 1, accuracy: 1e-15)
    }

    func testCrossEntropyOfUniformLogitsIsLogOfClassCount() {
        let tape = Tape<Double>()
        let logits = tape.input(.zeros([3, 4]), name: "logits")
        XCTAssertEqual(softmaxCrossEntropy(logits: logits, labels: [0, 1, 3]).value.scalar, log(4.0), accuracy: 1e-15)
    }

    func testCrossEntropyByHand() {
        let tape = Tape<Double>()
        let logits = tape.input(Tensor(rows: [[2, 0], [0, 1]]), name: "logits")
        let loss = softmaxCrossEntropy(logits: logits, labels: [0, 0]).value.scalar
        let e1 = exp(1.0), e2 = exp(2.0)
        let expected = (-log(e2 / (e2 + 1)) - log(1 / (1 + e1))) / 2
        XCTAssertEqual(loss, expected, accuracy: 1e-14)
    }

    func testSigmoidCrossEntropyIsStableAndMatchesDefinition() {
        let tape = Tape<Double>()
        let s = tape.input(Tensor([0.3, -1.2, 800, -800]), name: "s")
        let loss = sigmoidCrossEntropy(logits: s, labels: [1, 0, 1, 0]).value.scalar
        func sigma(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
        let expected = (-log(sigma(0.3)) - log(1 - sigma(-1.2)) + 0 + 0) / 4
        XCTAssertTrue(loss.isFinite)
        XCTAssertEqual(loss, expected, accuracy: 1e-14)
    }

    func testSigmoidTanhReluValues() {
        let tape = Tape<Double>()
        let x = tape.input(Tensor([-2, 0, 3]), name: "x")
        XCTAssertEqual(sigmoid(x).value.scalars[0], 1 / (1 + exp(2.0)), accuracy: 1e-15)
        XCTAssertEqual(sigmoid(x).value.scalars[1], 0.5)
        XCTAssertEqual(tanh(x).value.scalars[2], Foundation.tanh(3.0), accuracy: 1e-15)
        XCTAssertEqual(relu(x).value.scalars, [0, 0, 3])
    }

    func testGatherScattersRepeatedRowsIntoOneGradientRow() {
        let table = Parameter<Double>("E", Tensor(rows: [[1, 2], [3, 4], [5, 6]]))
        let tape = Tape<Double>()
        let rows = gather(tape.parameter(table), rows: [2, 0, 2])
        XCTAssertEqual(rows.value.scalars, [5, 6, 1, 2, 5, 6])
        tape.backward(from: sum(rows))
        XCTAssertEqual(table.gradient.scalars, [1, 1, 0, 0, 2, 2])
    }

    func testParameterAskedTwiceIsOneNode() {
        let p = Parameter<Double>("W", .zeros([2, 2]))
        let tape = Tape<Double>()
        XCTAssertEqual(tape.parameter(p).id, tape.parameter(p).id)
        XCTAssertEqual(tape.nodes.count, 1)
    }
}

import Foundation

final class ExponentialTests: XCTestCase {
    /// The vectorized Float exp against libm's double-precision exp, over the range that
    /// softmax feeds it (x − max ≤ 0) and beyond.
    func testFloatExponentialIsWithinTwoMillionthsOfARelativeError() {
        var xs: [Float] = stride(from: -87.0, through: 88.0, by: 0.0137).map { Float($0) }
        xs += [0, -0.0, 1, -1, 1e-7, -1e-7]
        var ys = xs
        ys.withUnsafeMutableBufferPointer { Float.exponentiate($0) }
        var worst = 0.0
        for (x, y) in zip(xs, ys) {
            let exact = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(y) - exact) / exact)
        }
        XCTAssertLessThan(worst, 2e-7)
        var tiny: [Float] = [-200, -1000, -.infinity]
        tiny.withUnsafeMutableBufferPointer { Float.exponentiate($0) }
        XCTAssertTrue(tiny.allSatisfy { $0 >= 0 && $0 < 1e-37 })
        var nan: [Float] = [.nan, 0]
        nan.withUnsafeMutableBufferPointer { Float.exponentiate($0) }
        XCTAssertTrue(nan[0].isNaN)
        XCTAssertEqual(nan[1], 1)
    }
}

/// The vectorizable Float tanh and σ against libm in Double.
final class FastActivationTests: XCTestCase {
    func testFloatTanhAndLogisticAgainstLibm() {
        var xs: [Float] = stride(from: -30.0, through: 30.0, by: 0.0137).map { Float($0) }
        xs += [0, -0, 1e-8, -1e-8, 1e-4, 0.6249, 0.6251, -0.625, 100, -100, 1e30, -1e30]
        var t = xs, s = xs
        t.withUnsafeMutableBufferPointer { Float.tanh($0) }
        s.withUnsafeMutableBufferPointer { Float.logistic($0) }
        for (i, x) in xs.enumerated() {
            let exactT = Foundation.tanh(Double(x)), exactS = 1 / (1 + Foundation.exp(-Double(x)))
            XCTAssertEqual(Double(t[i]), exactT, accuracy: 3e-7, "tanh(\(x))")
            XCTAssertEqual(Double(s[i]), exactS, accuracy: 3e-7, "σ(\(x))")
            if abs(x) < 0.625 && x != 0 { XCTAssertEqual(Double(t[i]) / exactT, 1, accuracy: 3e-7, "relative tanh(\(x))") }
        }
        var nan: [Float] = [.nan, .nan]
        nan.withUnsafeMutableBufferPointer { Float.logistic(UnsafeMutableBufferPointer(rebasing: $0[0..<1])) }
        nan.withUnsafeMutableBufferPointer { Float.tanh(UnsafeMutableBufferPointer(rebasing: $0[1..<2])) }
        XCTAssertTrue(nan[0].isNaN && nan[1].isNaN)  // a diverging model is still caught
    }
}
