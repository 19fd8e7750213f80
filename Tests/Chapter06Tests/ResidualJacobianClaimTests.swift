import Foundation
import NeuralKit
import XCTest
@testable import Chapter06

/// Claim: a residual connection y = x + F(x) adds an identity path, so its Jacobian is
/// I + ∂F/∂x and a gradient passes through it even where ∂F/∂x is small.
final class ResidualJacobianClaimTests: XCTestCase {
    /// One layer of the chapter's stack (`stackLayer`, what `stackGradientNorms` stacks),
    /// F(x) = tanh(W x), width 6. The tape's Jacobian, row i read off as ∂y_i/∂x from a
    /// backward pass from y_i alone, against the one written here from the derivative
    /// of tanh: ∂y_i/∂x_j = δ_ij + (1 − tanh²(a_i)) W_ij with a = W x; without the skip
    /// connection, the δ_ij is gone. Two weight scales: 0.7 (the chapter's) and 6 (most of
    /// a deep in tanh's flat tails, where ∂F/∂x nearly vanishes and only the identity is left).
    func testResidualJacobianIsIdentityPlusTheLayers() {
        let width = 6
        var generator = SeededGenerator(seed: 4)
        let x = Tensor<Double>.uniform([1, width], bound: 1, using: &generator)
        for scale in [0.7, 6.0] {
            let w = Tensor<Double>.uniform([width, width], bound: scale, using: &generator)
            // by hand
            let a = (0..<width).map { i in (0..<width).map { j in w[i, j] * x[0, j] }.reduce(0, +) }
            let dF = (0..<width).map { i in (0..<width).map { j in (1 - Foundation.tanh(a[i]) * Foundation.tanh(a[i])) * w[i, j] } }
            for residual in [true, false] {
                for i in 0..<width {
                    let tape = Tape<Double>()
                    let xv = tape.input(x, name: "x")
                    let y = stackLayer(xv, tape.input(w, name: "W"), residual: residual)
                    // y itself, by hand: x + tanh(W x) or tanh(W x)
                    XCTAssertEqual(y.value[0, i], (residual ? x[0, i] : 0) + Foundation.tanh(a[i]), accuracy: 1e-12)
                    var pick = [Double](repeating: 0, count: width)
                    pick[i] = 1
                    tape.backward(from: sum(y * tape.input(Tensor(shape: [1, width], scalars: pick), name: "e_i")))
                    let row = tape.gradient(of: xv)!
                    for j in 0..<width {
                        let byHand = (residual && i == j ? 1 : 0) + dF[i][j]
                        XCTAssertEqual(row[0, j], byHand, accuracy: 1e-12, "scale \(scale), residual \(residual): ∂y\(i)/∂x\(j)")
                    }
                }
            }
        }
    }
}
