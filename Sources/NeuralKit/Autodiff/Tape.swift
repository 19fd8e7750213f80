/// The record of one forward computation, in the order it ran.
///
/// Every op appends a node holding its label, its inputs, its output and the local chain
/// rule that maps the gradient of its output to the gradients of its inputs. Creation
/// order is a topological order, so ``backward(from:)`` is one reverse sweep. The same
/// nodes are what the computation-graph figures draw.
public final class Tape<Scalar: TensorScalar> {
    public enum Kind: Sendable { case input, parameter, operation }

    /// Gradient of the node's output → gradients of its inputs, one per input, in order;
    /// nil for an input whose gradient the op has already delivered (an embedding lookup
    /// adds straight into its table's rows).
    public typealias Backward = (Tensor<Scalar>) -> [Tensor<Scalar>?]

    public struct Node {
        public let label: String
        public let kind: Kind
        public let inputs: [Int]
        public let value: Tensor<Scalar>
        public let parameter: Parameter<Scalar>?
        let backward: Backward?
        /// The loop over time and the step the node was recorded in (``timeStep``);
        /// nil outside any loop. The figures draw one column per step.
        public fileprivate(set) var step: Step? = nil
    }

    /// Loop `loop` (the tape's first loop over time is 1), time step `time` (1, 2, …).
    public struct Step: Hashable, Sendable {
        public let loop: Int
        public let time: Int
    }

    public private(set) var nodes: [Node] = []
    /// During a sweep, each node's gradient so far (nil: none reached it yet).
    var gradients: [Tensor<Scalar>?] = []
    private var parameterNodes: [ObjectIdentifier: Int] = [:]

    /// The time step the ops now being recorded belong to, or nil outside a loop over
    /// time. An unrolled network sets it at each step, so that its drawing can put each
    /// step in its own column; it changes nothing that is computed.
    public var timeStep: Int?
    /// How many loops over time have begun on this tape (see ``beginLoop()``).
    public private(set) var loops = 0

    /// Starts a new loop over time: the steps stamped from now on belong to it (the
    /// encoder's steps and the decoder's are two loops, drawn one after the other).
    public func beginLoop() { loops += 1 }

    public init() {}

    /// A value that is not trained (data, labels as features): the gradient stops here.
    public func input(_ value: Tensor<Scalar>, name: String) -> Variable<Scalar> {
        append(Node(label: name, kind: .input, inputs: [], value: value, parameter: nil, backward: nil))
    }

    /// The parameter's value on this tape. Asking twice gives the same node, so a weight
    /// shared by two ops appears once in the graph and its gradient sums both uses.
    public func parameter(_ parameter: Parameter<Scalar>) -> Variable<Scalar> {
        if let id = parameterNodes[ObjectIdentifier(parameter)] { return Variable(tape: self, id: id) }
        let v = append(
            Node(label: parameter.name, kind: .parameter, inputs: [], value: parameter.value,
                 parameter: parameter, backward: nil))
        parameterNodes[ObjectIdentifier(parameter)] = v.id
        return v
    }

    /// Appends the output of an op; `backward` is its local chain rule.
    public func record(
        _ label: String, inputs: [Variable<Scalar>], value: Tensor<Scalar>,
        backward: @escaping Backward
    ) -> Variable<Scalar> {
        for input in inputs { precondition(input.tape === self, "\(label): an input lives on another tape") }
        // `{ $0.id }`, not `\.id`: in this generic, unspecialized method a key path is built
        // at run time on every call (7% of Chapter 9's sample run).
        return append(
            Node(label: label, kind: .operation, inputs: inputs.map { $0.id }, value: value,
                 parameter: nil, backward: backward))
    }

    private func append(_ node: Node) -> Variable<Scalar> {
        var node = node
        node.step = timeStep.map { Step(loop: loops, time: $0) }
        nodes.append(node)
        gradients.append(nil)
        return Variable(tape: self, id: nodes.count - 1)
    }

    /// Reverse-mode sweep from a scalar: seeds d loss / d loss = 1, then visits the nodes
    /// in reverse creation order, accumulating each input's gradient with `+=`.
    /// Parameters' gradients are added into ``Parameter/gradient``.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(from loss: Variable<Scalar>) {
        precondition(loss.tape === self, "backward: the loss lives on another tape")
        precondition(loss.value.count == 1, "backward needs a scalar loss, got shape \(loss.value.shape)")
        for i in gradients.indices { gradients[i] = nil }
        gradients[loss.id] = Tensor(shape: loss.value.shape, repeating: 1)
        for id in stride(from: loss.id, through: 0, by: -1) {
            guard let upstream = gradients[id] else { continue }
            let node = nodes[id]
            if let parameter = node.parameter {
                parameter.accumulate(upstream)
            }
            guard let backward = node.backward else { continue }
            let inputGradients = backward(upstream)
            precondition(inputGradients.count == node.inputs.count, "\(node.label): wrong number of gradients")
            for (input, g) in zip(node.inputs, inputGradients) {
                guard let g else { continue }
                precondition(
                    g.shape == nodes[input].value.shape,
                    "\(node.label): gradient shape \(g.shape) does not match input shape \(nodes[input].value.shape)")
                if gradients[input] == nil { gradients[input] = g } else { gradients[input]!.add(g) }
            }
        }
    }

    /// The gradient of the last ``backward(from:)`` loss with respect to `variable`.
    public func gradient(of variable: Variable<Scalar>) -> Tensor<Scalar>? { gradients[variable.id] }
}

/// A handle to one node of a tape: what ops take and return.
public struct Variable<Scalar: TensorScalar> {
    public let tape: Tape<Scalar>
    public let id: Int

    public var value: Tensor<Scalar> { tape.nodes[id].value }
    public var shape: [Int] { tape.nodes[id].value.shape }
}

extension Tensor {
    /// self += other, same shapes.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public mutating func add(_ other: Tensor) {
        precondition(shape == other.shape, "cannot add shape \(other.shape) into shape \(shape)")
        scalars.withUnsafeMutableBufferPointer { a in
            other.scalars.withUnsafeBufferPointer { b in
                for i in a.indices { a[i] += b[i] }
            }
        }
    }
}
