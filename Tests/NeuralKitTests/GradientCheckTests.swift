import XCTest
@testable import NeuralKit

/// Every op and layer: its backward pass against central finite differences in Double.
final class GradientCheckTests: XCTestCase {
    var generator = SeededGenerator(seed: 7)

    func parameter(_ name: String, _ shape: [Int], awayFromZero: Bool = false) -> Parameter<Double> {
        var t = Tensor<Double>.uniform(shape, bound: 1, using: &generator)
        if awayFromZero {
            // keep |x| ≥ 0.1 so that no finite-difference step crosses ReLU's kink
            t = Tensor(shape: shape, scalars: t.scalars.map { $0 < 0 ? $0 - 0.1 : $0 + 0.1 })
        }
        return Parameter(name, t)
    }

    /// Reduces any output to a scalar with fixed random weights, Σ r ⊙ y, so the check
    /// covers every element of the output's gradient, not only their sum.
    func weightedSum(_ y: Variable<Double>, seed: UInt64 = 99) -> Variable<Double> {
        var g = SeededGenerator(seed: seed)
        let r = y.tape.input(.uniform(y.shape, bound: 1, using: &g), name: "r")
        return sum(y * r)
    }

    func assertGradients(
        _ parameters: [Parameter<Double>], file: StaticString = #filePath, line: UInt = #line,
        _ loss: (Tape<Double>) -> Variable<Double>
    ) {
        let result = gradientCheck(parameters, loss: loss)
        XCTAssertEqual(result.errors.count, parameters.count, file: file, line: line)
        for (name, error) in result.errors {
            XCTAssertLessThan(error, 1e-6, "relative error of \(name)", file: file, line: line)
        }
    }

    func testMatmul() {
        let a = parameter("a", [3, 4]), b = parameter("b", [4, 5])
        assertGradients([a, b]) { t in weightedSum(matmul(t.parameter(a), t.parameter(b))) }
    }

    func testMatmulTransposedRight() {
        let a = parameter("a", [3, 4]), b = parameter("b", [5, 4])
        assertGradients([a, b]) { t in weightedSum(matmul(t.parameter(a), t.parameter(b), transposeRight: true)) }
    }

    /// `matmul` hands a parameter's gradient to the parameter when the left factor has at
    /// most `deferredRows` (64) rows (added later as one product, `GradientAccumulator.deferProduct`)
    /// and computes it at once (the readable rule dB = Aᵀ dC, or dCᵀ A) for more rows or
    /// when the right factor is not a parameter: every branch, both orientations.
    func testMatmulEveryGradientBranch() {
        let deferred = GradientAccumulator<Double>.deferredRows
        for rows in [deferred, deferred + 1] {
            let a = parameter("a", [rows, 3]), b = parameter("b", [3, 2]), bt = parameter("bᵀ", [2, 3])
            assertGradients([a, b]) { t in weightedSum(matmul(t.parameter(a), t.parameter(b))) }
            assertGradients([a, bt]) { t in weightedSum(matmul(t.parameter(a), t.parameter(bt), transposeRight: true)) }
            // the right factor an op's output, not a parameter
            assertGradients([a, b]) { t in weightedSum(matmul(t.parameter(a), tanh(t.parameter(b)))) }
            assertGradients([a, bt]) { t in weightedSum(matmul(t.parameter(a), tanh(t.parameter(bt)), transposeRight: true)) }
        }
    }

    func testAddSameShape() {
        let a = parameter("a", [2, 3]), b = parameter("b", [2, 3])
        assertGradients([a, b]) { t in weightedSum(t.parameter(a) + t.parameter(b)) }
    }

    func testAddBroadcastBias() {
        let x = parameter("x", [4, 3]), b = parameter("b", [3])
        assertGradients([x, b]) { t in weightedSum(t.parameter(x) + t.parameter(b)) }
    }

    func testSubtractAndMultiplyAndScale() {
        let a = parameter("a", [2, 3]), b = parameter("b", [2, 3])
        assertGradients([a, b]) { t in
            let (va, vb) = (t.parameter(a), t.parameter(b))
            return weightedSum((va - vb) * va * 1.5)
        }
    }

    func testValueUsedTwiceAccumulates() {
        // y = x ⊙ x + x: dy/dx = 2x + 1, which only comes out if both uses add up.
        let x = parameter("x", [2, 3])
        assertGradients([x]) { t in
            let v = t.parameter(x)
            return weightedSum(v * v + v)
        }
        // and the same by hand: Σ (x² + x) has gradient 2x + 1 exactly
        let tape = Tape<Double>()
        let v = tape.parameter(x)
        x.zeroGradient()
        tape.backward(from: sum(v * v + v))
        for (g, value) in zip(x.gradient.scalars, x.value.scalars) {
            XCTAssertEqual(g, 2 * value + 1, accuracy: 1e-12)
        }
    }

    func testNonlinearities() {
        let x = parameter("x", [3, 4], awayFromZero: true)
        assertGradients([x]) { t in weightedSum(sigmoid(t.parameter(x)), seed: 1) }
        assertGradients([x]) { t in weightedSum(tanh(t.parameter(x)), seed: 2) }
        assertGradients([x]) { t in weightedSum(relu(t.parameter(x)), seed: 3) }
    }

    func testSoftmaxAndLogSoftmax() {
        let x = parameter("x", [3, 5])
        assertGradients([x]) { t in weightedSum(softmax(t.parameter(x))) }
        assertGradients([x]) { t in weightedSum(logSoftmax(t.parameter(x))) }
    }

    func testSoftmaxCrossEntropy() {
        let x = parameter("logits", [4, 5])
        assertGradients([x]) { t in softmaxCrossEntropy(logits: t.parameter(x), labels: [0, 3, 3, 4]) }
    }

    func testSigmoidCrossEntropy() {
        let x = parameter("scores", [4, 1])
        assertGradients([x]) { t in sigmoidCrossEntropy(logits: t.parameter(x), labels: [1, 0, 1, 1]) }
    }

    /// Both branches of the lookup's backward: a table that is a parameter gets its rows
    /// added straight into its gradient (row-sparse); any other table (an op's output) a
    /// dense gradient, scattered row by row. A repeated id collects both rows either way.
    func testGatherWithRepeatedRow() {
        let table = parameter("E", [6, 3])
        assertGradients([table]) { t in weightedSum(gather(t.parameter(table), rows: [2, 5, 2, 0])) }
        assertGradients([table]) { t in weightedSum(gather(tanh(t.parameter(table)), rows: [2, 5, 2, 0])) }
    }

    func testConcatenateAndSlice() {
        let a = parameter("a", [2, 3]), b = parameter("b", [2, 2])
        assertGradients([a, b]) { t in
            let joined = concatenate(columns: [t.parameter(a), t.parameter(b), t.parameter(a)])
            return weightedSum(slice(joined, columns: 1..<7))
        }
    }

    func testReshape() {
        let x = parameter("x", [6, 2])
        assertGradients([x]) { t in weightedSum(tanh(reshape(t.parameter(x), to: [3, 4]))) }
    }

    func testDropoutWithAFixedMask() {
        let x = parameter("x", [4, 5])
        assertGradients([x]) { t in
            var g = SeededGenerator(seed: 11)  // the same mask on every evaluation
            return weightedSum(dropout(t.parameter(x), rate: 0.5, using: &g))
        }
        // about half the elements survive, each scaled by 2
        let tape = Tape<Double>()
        var g = SeededGenerator(seed: 3)
        let y = dropout(tape.input(Tensor(shape: [100, 100], repeating: 1), name: "ones"), rate: 0.5, using: &g).value
        XCTAssertTrue(y.scalars.allSatisfy { $0 == 0 || $0 == 2 })
        XCTAssertEqual(y.scalars.reduce(0, +) / 10_000, 1, accuracy: 0.04)
    }

    func testReductions() {
        let x = parameter("x", [3, 4])
        assertGradients([x]) { t in sum(tanh(t.parameter(x))) }
        assertGradients([x]) { t in mean(tanh(t.parameter(x)) * t.parameter(x)) }
    }

    func testLinearLayer() {
        var g = SeededGenerator(seed: 3)
        let layer = Linear<Double>(inputSize: 4, outputSize: 3, name: "fc", using: &g)
        layer.bias!.value = .uniform([3], bound: 1, using: &g)
        let x = parameter("x", [5, 4])
        assertGradients(layer.parameters + [x]) { t in weightedSum(layer(t.parameter(x))) }
        let noBias = Linear<Double>(inputSize: 4, outputSize: 2, name: "nb", bias: false, using: &g)
        XCTAssertEqual(noBias.parameters.map(\.name), ["nb.W"])
        assertGradients(noBias.parameters) { t in weightedSum(noBias(t.parameter(x))) }
    }

    func testEmbeddingLayer() {
        var g = SeededGenerator(seed: 4)
        let embedding = Embedding<Double>(vocabularySize: 7, embeddingSize: 3, name: "emb", using: &g)
        assertGradients(embedding.parameters) { t in weightedSum(embedding([1, 4, 1, 6], on: t)) }
    }

    func testACheckThatMustFail() {
        // A deliberately wrong backward (twice the true derivative) is caught.
        let x = parameter("x", [2, 2])
        let result = gradientCheck([x]) { t in
            let v = t.parameter(x)
            let y = t.record("wrong", inputs: [v], value: v.value) { g in [g.map { 2 * $0 }] }
            return sum(y)
        }
        XCTAssertGreaterThan(result.maxRelativeError, 0.3)
    }

    func testSegmentMean() {
        let x = parameter("x", [6, 3])
        assertGradients([x]) { t in weightedSum(segmentMean(t.parameter(x), lengths: [2, 1, 3])) }
    }

    func testSegmentMeanValues() {
        let x = Tensor<Double>(shape: [3, 2], scalars: [1, 2, 3, 4, 10, 20])
        let y = segmentMean(Tape<Double>().input(x, name: "x"), lengths: [2, 1]).value
        XCTAssertEqual(y.shape, [2, 2])
        XCTAssertEqual(y.scalars, [2, 3, 10, 20])  // (1+3)/2, (2+4)/2; the last row alone
    }

    func testMaximum() {
        let a = parameter("a", [3, 4]), b = parameter("b", [3, 4])
        assertGradients([a, b]) { t in weightedSum(maximum(t.parameter(a), t.parameter(b))) }
        let tape = Tape<Double>()
        let y = maximum(tape.input(Tensor([1, 5, -2]), name: "a"), tape.input(Tensor([3, 4, -1]), name: "b"))
        XCTAssertEqual(y.value.scalars, [3, 5, -1])
    }
}
