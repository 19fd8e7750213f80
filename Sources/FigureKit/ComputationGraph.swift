import NeuralKit

/// A drawing of a tape: one node per tape node, one edge per input, in tape order.
///
/// Styled after torchviz: parameters are light blue boxes with their name and shape,
/// inputs are white boxes, ops are grey boxes with their label and output shape, and the
/// output (the loss) is green. Node ids are `n0`, `n1`, … in tape order, so the same
/// computation always gives the same DOT text.
public struct ComputationGraph: Sendable, Equatable {
    public enum Role: String, Sendable { case input, parameter, operation, output }

    public struct Node: Sendable, Equatable {
        public let id: String
        public let label: String
        public let role: Role
    }

    public let title: String
    public private(set) var nodes: [Node] = []
    public private(set) var edges: [(from: String, to: String)] = []

    public static func == (a: ComputationGraph, b: ComputationGraph) -> Bool {
        a.title == b.title && a.nodes == b.nodes && a.edges.elementsEqual(b.edges) { $0 == $1 }
    }

    /// The graph of every node on `tape` that `output` depends on.
    public init<Scalar>(tape: Tape<Scalar>, output: Variable<Scalar>, title: String) {
        self.title = title
        // Keep only the ancestors of the output (a tape may hold side computations).
        var needed = Set([output.id])
        for id in stride(from: output.id, through: 0, by: -1) where needed.contains(id) {
            needed.formUnion(tape.nodes[id].inputs)
        }
        for (id, node) in tape.nodes.enumerated() where needed.contains(id) {
            let shape = Self.format(shape: node.value.shape)
            let role: Role
            switch node.kind {
            case .input: role = .input
            case .parameter: role = .parameter
            case .operation: role = id == output.id ? .output : .operation
            }
            nodes.append(Node(id: "n\(id)", label: "\(node.label)\n\(shape)", role: role))
            for input in node.inputs { edges.append(("n\(input)", "n\(id)")) }
        }
    }

    /// `[5, 50]` → `5 × 50`; a scalar is `scalar`.
    static func format(shape: [Int]) -> String {
        shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: " × ")
    }
}
