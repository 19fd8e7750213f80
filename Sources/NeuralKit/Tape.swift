/// A named, trainable tensor that outlives any one forward pass: `ner.W`, `lstm.W_f`.
///
/// Its `gradient` accumulates (`+=`) over every use in every backward sweep until
/// ``zeroGradient()`` is called, usually right after the optimizer's step.
///
/// An embedding table's gradient is nonzero only in the rows a batch looked up, so the
/// lookup adds into those rows alone and records them (``touchedRows``); the optimizers
/// and ``zeroGradient()`` then visit just those rows instead of the whole table. Any
/// other use of the parameter (or assigning `gradient`) makes the gradient dense again.
public final class Parameter<Scalar: TensorScalar> {
    public let name: String
    public var value: Tensor<Scalar>
    private var storedGradient: Tensor<Scalar>
    private var isDense = false
    private var rows: [Int] = []
    /// Products waiting to be added to the gradient as one (see ``deferProduct``).
    private var pending: [(upstream: Tensor<Scalar>, other: Tensor<Scalar>)] = []
    private var pendingTransposed = false

    public init(_ name: String, _ value: Tensor<Scalar>) {
        self.name = name
        self.value = value
        self.storedGradient = .zeros(value.shape)
    }

    public var shape: [Int] { value.shape }

    /// ∂loss/∂value, summed over every use since the last ``zeroGradient()``.
    public var gradient: Tensor<Scalar> {
        get {
            flushPending()
            return storedGradient
        }
        set {
            precondition(newValue.shape == value.shape, "\(name): gradient of shape \(newValue.shape) for a value of shape \(value.shape)")
            pending.removeAll()
            storedGradient = newValue
            isDense = true
        }
    }

    /// A weight used at every step of a recurrence gets one small product per step as its
    /// gradient (for C = A Wᵀ, dW = dCᵀ A with only B rows in A). Adding them one by one
    /// costs a pass over the whole gradient per step; instead `matmul` hands over each
    /// step's (dC, A) and they are added as one product, [dC₁; dC₂; …]ᵀ [A₁; A₂; …], the
    /// first time the gradient is read. `transposed`: the weight was used as Wᵀ (the
    /// product is dCᵀ A); else as W (Aᵀ dC).
    func deferProduct(upstream: Tensor<Scalar>, other: Tensor<Scalar>, transposed: Bool) {
        if !pending.isEmpty && pendingTransposed != transposed { flushPending() }
        pendingTransposed = transposed
        pending.append((upstream, other))
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    private func flushPending() {
        guard !pending.isEmpty else { return }
        let items = pending
        pending.removeAll()
        let rows = items.reduce(0) { $0 + $1.upstream.rows }
        let n = items[0].upstream.columns, k = items[0].other.columns
        var left = [Scalar](), right = [Scalar]()
        left.reserveCapacity(rows * n)
        right.reserveCapacity(rows * k)
        for item in items {
            left += item.upstream.scalars
            right += item.other.scalars
        }
        let transposed = pendingTransposed
        storedGradient.scalars.withUnsafeMutableBufferPointer { out in
            left.withUnsafeBufferPointer { l in
                right.withUnsafeBufferPointer { r in
                    if transposed {  // W is (n × k): += [dC]ᵀ [A]
                        Scalar.gemm(transposeA: true, transposeB: false, m: n, n: k, k: rows, alpha: 1,
                                    a: l.baseAddress!, lda: n, b: r.baseAddress!, ldb: k, beta: 1, c: out.baseAddress!, ldc: k)
                    } else {  // W is (k × n): += [A]ᵀ [dC]
                        Scalar.gemm(transposeA: true, transposeB: false, m: k, n: n, k: rows, alpha: 1,
                                    a: r.baseAddress!, lda: k, b: l.baseAddress!, ldb: n, beta: 1, c: out.baseAddress!, ldc: n)
                    }
                }
            }
        }
        isDense = true
    }

    /// The rows of a matrix parameter that can have a nonzero gradient, sorted; nil when
    /// any element can (the gradient is dense).
    public var touchedRows: [Int]? {
        flushPending()
        return isDense ? nil : Array(Set(rows)).sorted()
    }

    /// gradient += g, everywhere.
    func accumulate(_ g: Tensor<Scalar>) {
        storedGradient.add(g)
        isDense = true
    }

    /// Lets `body` add into the whole gradient in place (for example a BLAS product with
    /// beta = 1, so no temporary of the parameter's size is built).
    func accumulateInPlace(_ body: (UnsafeMutableBufferPointer<Scalar>) -> Void) {
        storedGradient.scalars.withUnsafeMutableBufferPointer { body($0) }
        isDense = true
    }

    /// gradient[ids[i]] += g[i] for every row i of g (the scatter of an embedding lookup).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func accumulateRows(_ ids: [Int], _ g: Tensor<Scalar>) {
        let d = storedGradient.columns
        precondition(g.shape == [ids.count, d], "\(name): row gradient of shape \(g.shape) for \(ids.count) rows of width \(d)")
        storedGradient.scalars.withUnsafeMutableBufferPointer { out in
            g.scalars.withUnsafeBufferPointer { rowsIn in
                for (i, id) in ids.enumerated() {
                    for j in 0..<d { out[id * d + j] += rowsIn[i * d + j] }
                }
            }
        }
        if !isDense { rows.append(contentsOf: ids) }
    }

    /// gradient *= factor (its sparsity is kept).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func scaleGradient(by factor: Scalar) {
        flushPending()
        storedGradient.scalars.withUnsafeMutableBufferPointer { g in
            for i in g.indices { g[i] *= factor }
        }
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func zeroGradient() {
        pending.removeAll()
        if isDense {
            storedGradient.scalars.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        } else if !rows.isEmpty {
            let d = storedGradient.columns
            storedGradient.scalars.withUnsafeMutableBufferPointer { out in
                for id in rows { for j in 0..<d { out[id * d + j] = 0 } }
            }
        }
        isDense = false
        rows.removeAll(keepingCapacity: true)
    }

    /// Calls `update(range)` for each run of elements that may have a nonzero gradient:
    /// the whole tensor, or the touched rows one by one.
    func forEachUpdatedRange(_ update: (Range<Int>) -> Void) {
        guard let touched = touchedRows else { return update(0..<value.count) }
        let d = value.columns
        for id in touched { update((id * d)..<((id + 1) * d)) }
    }
}

extension Array {
    /// The number of scalars in a list of parameters.
    public func parameterCount<S>() -> Int where Element == Parameter<S> {
        reduce(0) { $0 + $1.value.count }
    }

    /// Sets every parameter's gradient to zero.
    public func zeroGradients<S>() where Element == Parameter<S> {
        forEach { $0.zeroGradient() }
    }
}

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
    }

    public private(set) var nodes: [Node] = []
    private var gradients: [Tensor<Scalar>?] = []
    private var parameterNodes: [ObjectIdentifier: Int] = [:]

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
        return append(
            Node(label: label, kind: .operation, inputs: inputs.map(\.id), value: value,
                 parameter: nil, backward: backward))
    }

    private func append(_ node: Node) -> Variable<Scalar> {
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
