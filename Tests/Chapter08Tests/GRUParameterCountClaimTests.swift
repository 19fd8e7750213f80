import Foundation
import NeuralKit
import XCTest

/// Claim: the GRU has fewer parameters than the LSTM (of the same sizes).
final class GRUParameterCountClaimTests: XCTestCase {
    /// Counted from the slides' equations, gate by gate, for input size d and hidden size H:
    ///   LSTM: f, i, o, c̃ each = σ or tanh(W_• h(t−1) + U_• x(t) + b_•):
    ///         4 × (H·H + H·d + H)
    ///   GRU:  z, r, ĥ each = σ or tanh(W_• x(t) + U_• h(t−1)[⊙ r] + b_•):
    ///         3 × (H·d + H·H + H)
    /// against the cells' actual parameter tensors, element by element (each tensor's
    /// shape multiplied out; `parameterCount()` is not used), and the GRU's is smaller by
    /// exactly one gate block, a quarter of the LSTM's.
    func testGRUHasThreeGateBlocksToTheLSTMsFour() {
        for (d, H) in [(1, 1), (3, 5), (16, 32), (200, 200), (650, 650)] {
            var g = SeededGenerator(seed: 1)
            let lstm = LSTMCell<Float>(inputSize: d, hiddenSize: H, name: "lstm", using: &g)
            let gru = GRUCell<Float>(inputSize: d, hiddenSize: H, name: "gru", using: &g)
            func elements(_ parameters: [Parameter<Float>]) -> Int {
                parameters.map { $0.value.scalars.count }.reduce(0, +)
            }
            let lstmGate = H * H + H * d + H  // W_•: H×H, U_•: H×d, b_•: H
            let gruGate = H * d + H * H + H   // W_•: H×d, U_•: H×H, b_•: H
            let lstmByHand = lstmGate + lstmGate + lstmGate + lstmGate  // f, i, o, c̃
            let gruByHand = gruGate + gruGate + gruGate                  // z, r, ĥ
            XCTAssertEqual(elements(lstm.parameters), lstmByHand, "LSTM d = \(d), H = \(H)")
            XCTAssertEqual(elements(gru.parameters), gruByHand, "GRU d = \(d), H = \(H)")
            XCTAssertLessThan(elements(gru.parameters), elements(lstm.parameters))
            XCTAssertEqual(4 * elements(gru.parameters), 3 * elements(lstm.parameters))
        }
    }
}
