import XCTest
@testable import NeuralKit

/// Each optimizer against its update rule worked out by hand, over several steps.
final class OptimizerTests: XCTestCase {
    /// Known gradients for three steps of a two-element parameter.
    let gradients: [[Double]] = [[0.5, -1.0], [0.25, 2.0], [-0.75, 0.0]]

    func run<O: Optimizer>(_ optimizer: inout O, start: [Double]) -> [Double] where O.Scalar == Double {
        let p = Parameter<Double>("theta", Tensor(start))
        for g in gradients {
            p.gradient = Tensor(g)
            optimizer.step([p])
            p.zeroGradient()
        }
        return p.value.scalars
    }

    func testSGD() {
        var sgd = SGD<Double>(learningRate: 0.1)
        let theta = run(&sgd, start: [1, 2])
        // θ = θ₀ − η Σ g = [1 − 0.1·0, 2 − 0.1·1.0]
        XCTAssertEqual(theta[0], 1.0, accuracy: 1e-15)
        XCTAssertEqual(theta[1], 1.9, accuracy: 1e-15)
    }

    /// A parameter of over 2^20 elements is updated as two halves on two threads, and
    /// clipping scales its gradient the same way: every element still gets exactly
    /// θ − η g, and the gradient exactly g · (threshold / ‖g‖).
    func testLargeParametersUpdateEveryElement() {
        let count = (1 << 20) + 7
        var r = SeededGenerator(seed: 4)
        let start = Tensor<Float>.uniform([count], bound: 1, using: &r)
        let g = Tensor<Float>.uniform([count], bound: 1, using: &r)
        let p = Parameter<Float>("big", start)
        p.gradient = g
        var squares = 0.0
        for x in g.scalars { squares += Double(x) * Double(x) }
        let norm = clipGradientNorm([p], threshold: 1)
        XCTAssertEqual(norm, squares.squareRoot(), accuracy: 1e-9 * norm)
        let scale = Float(1 / norm)
        for i in [0, 1, count / 2 - 1, count / 2, count / 2 + 1, count - 1] {
            XCTAssertEqual(p.gradient.scalars[i], g.scalars[i] * scale)
        }
        var sgd = SGD<Float>(learningRate: 0.5)
        sgd.step([p])
        var wrong = 0
        for i in 0..<count where p.value.scalars[i] != start.scalars[i] - 0.5 * (g.scalars[i] * scale) { wrong += 1 }
        XCTAssertEqual(wrong, 0)
    }

    func testAdagrad() {
        var adagrad = Adagrad<Double>(learningRate: 0.5, epsilon: 0)
        let theta = run(&adagrad, start: [1, 2])
        // coordinate 0: G = 0.25, 0.3125, 0.875
        let t0 = 1 - 0.5 * 0.5 / 0.25.squareRoot() - 0.5 * 0.25 / 0.3125.squareRoot() + 0.5 * 0.75 / 0.875.squareRoot()
        // coordinate 1: G = 1, 5, then g = 0 leaves it alone
        let t1 = 2 + 0.5 * 1.0 / 1.0 - 0.5 * 2.0 / 5.0.squareRoot()
        XCTAssertEqual(theta[0], t0, accuracy: 1e-14)
        XCTAssertEqual(theta[1], t1, accuracy: 1e-14)
    }

    /// Adagrad with L2 regularization, as Grave et al. train: g ← g + λθ, then the
    /// Adagrad step, worked out by hand (coordinate 1's third gradient is 0, but the decay
    /// still moves it).
    func testAdagradWithWeightDecay() {
        var adagrad = Adagrad<Double>(learningRate: 0.5, epsilon: 0, weightDecay: 0.1)
        let theta = run(&adagrad, start: [1, 2])
        var expected = [1.0, 2.0]
        for i in 0..<2 {
            var sumSquares = 0.0
            for step in gradients {
                let g = step[i] + 0.1 * expected[i]
                sumSquares += g * g
                expected[i] -= 0.5 * g / sumSquares.squareRoot()
            }
        }
        XCTAssertEqual(theta[0], expected[0], accuracy: 1e-14)
        XCTAssertEqual(theta[1], expected[1], accuracy: 1e-14)
        var plain = Adagrad<Double>(learningRate: 0.5, epsilon: 0)
        XCTAssertNotEqual(run(&plain, start: [1, 2])[1], theta[1])
    }

    func testAdam() {
        var adam = Adam<Double>(learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8)
        let theta = run(&adam, start: [1, 2])
        // Worked out step by step for coordinate 0.
        var expected = [1.0, 2.0]
        for i in 0..<2 {
            var m = 0.0, v = 0.0
            for (t, g) in gradients.map({ $0[i] }).enumerated() {
                m = 0.9 * m + 0.1 * g
                v = 0.999 * v + 0.001 * g * g
                let mHat = m / (1 - pow(0.9, Double(t + 1)))
                let vHat = v / (1 - pow(0.999, Double(t + 1)))
                expected[i] -= 0.01 * mHat / (vHat.squareRoot() + 1e-8)
            }
        }
        XCTAssertEqual(theta[0], expected[0], accuracy: 1e-14)
        XCTAssertEqual(theta[1], expected[1], accuracy: 1e-14)
        // The first Adam step moves every coordinate by about η whatever the gradient's size.
        var fresh = Adam<Double>(learningRate: 0.01)
        let p = Parameter<Double>("p", Tensor([0, 0]))
        p.gradient = Tensor([1000, 0.001])
        fresh.step([p])
        XCTAssertEqual(p.value.scalars[0], -0.01, accuracy: 1e-8)
        XCTAssertEqual(p.value.scalars[1], -0.01, accuracy: 1e-7)
    }

    func testClippingCapsTheNormAndKeepsTheDirection() {
        let a = Parameter<Double>("a", .zeros([2])), b = Parameter<Double>("b", .zeros([1]))
        a.gradient = Tensor([3, 0])
        b.gradient = Tensor([4])  // ‖g‖ = 5
        let norm = clipGradientNorm([a, b], threshold: 1)
        XCTAssertEqual(norm, 5, accuracy: 1e-15)
        XCTAssertEqual(a.gradient.scalars[0], 0.6, accuracy: 1e-15)
        XCTAssertEqual(b.gradient.scalars[0], 0.8, accuracy: 1e-15)
        // below the threshold nothing changes
        a.gradient = Tensor([0.3, 0])
        b.gradient = Tensor([0.4])
        clipGradientNorm([a, b], threshold: 1)
        XCTAssertEqual(a.gradient.scalars, [0.3, 0])
        XCTAssertEqual(b.gradient.scalars, [0.4])
    }
}

import Foundation
