import Dispatch
import Foundation

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
    private var accumulated: Tensor<Scalar>
    /// Work adding into `accumulated` on another thread (see ``accumulateInBackground``).
    private var background: (DispatchGroup, BackgroundWork)?
    /// The gradient buffer; every access first waits for work running in the background.
    private var storedGradient: Tensor<Scalar> {
        get {
            finishBackgroundWork()
            return accumulated
        }
        _modify {
            finishBackgroundWork()
            yield &accumulated
        }
    }
    private var isDense = false
    private var rows: [Int] = []
    /// Products waiting to be added to the gradient as one (see ``deferProduct``).
    private var pending: [(upstream: Tensor<Scalar>, other: Tensor<Scalar>)] = []
    private var pendingTransposed = false

    public init(_ name: String, _ value: Tensor<Scalar>) {
        self.name = name
        self.value = value
        self.accumulated = .zeros(value.shape)
    }

    /// Work still running writes into this parameter's gradient: let it finish first.
    deinit { finishBackgroundWork() }

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

    /// The most rows of A for which a product's gradient is deferred (one step of a
    /// recurrence: a batch); larger products are added at once.
    static var deferredRows: Int { 64 }

    /// A weight used at every step of a recurrence gets one small product per step as its
    /// gradient (for C = A Wᵀ, dW = dCᵀ A with only B rows in A). Adding them one by one
    /// costs a pass over the whole gradient per step; instead `matmul` hands over each
    /// step's (dC, A) and they are added as one product, [dC₁; dC₂; …]ᵀ [A₁; A₂; …], the
    /// first time the gradient is read. `transposed`: the weight was used as Wᵀ (the
    /// product is dCᵀ A); else as W (Aᵀ dC).
    func deferProduct(upstream: Tensor<Scalar>, other: Tensor<Scalar>, transposed: Bool) {
        precondition(other.rows <= Self.deferredRows, "\(name): deferProduct takes at most \(Self.deferredRows) rows")
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

    /// Adds into the gradient in `parts` pieces, `body(part, gradient)` each, on another
    /// thread while the caller goes on (the backward sweep through the rest of the tape).
    /// The first later use of the gradient takes the pieces not started yet itself, from
    /// the last one down, and waits for the rest, so two cores share what remains. Each
    /// piece must write its own part of the gradient, and the same numbers whichever
    /// thread runs it: the sum then does not depend on timing.
    func accumulateInBackground(parts: Int, _ body: @escaping (Int, UnsafeMutableBufferPointer<Scalar>) -> Void) {
        finishBackgroundWork()
        isDense = true
        // The buffer stays where it is until the work is finished: every other access to
        // `accumulated` goes through `storedGradient`, which finishes it first.
        var buffer: UnsafeMutableBufferPointer<Scalar>!
        accumulated.scalars.withUnsafeMutableBufferPointer { buffer = $0 }
        let work = BackgroundWork(buffer: buffer, body: body, queue: PieceQueue(count: parts))
        let group = DispatchGroup()
        DispatchQueue.global(qos: .userInitiated).async(group: group) { work.run(fromFront: true) }
        background = (group, work)
    }

    /// Pieces handed out from both ends, each once.
    private final class PieceQueue: @unchecked Sendable {
        private let lock = NSLock()
        private var front = 0, back: Int
        init(count: Int) { back = count }
        func next(fromFront: Bool) -> Int? {
            lock.lock()
            defer { lock.unlock() }
            guard front < back else { return nil }
            if fromFront {
                front += 1
                return front - 1
            }
            back -= 1
            return back
        }
    }

    private struct BackgroundWork: @unchecked Sendable {
        let buffer: UnsafeMutableBufferPointer<Scalar>
        let body: (Int, UnsafeMutableBufferPointer<Scalar>) -> Void
        let queue: PieceQueue
        func run(fromFront: Bool) {
            while let part = queue.next(fromFront: fromFront) { body(part, buffer) }
        }
    }

    private func finishBackgroundWork() {
        guard let (group, work) = background else { return }
        background = nil
        work.run(fromFront: false)
        group.wait()
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
            forEachRowChunk(g.count, work: g.count / 4) { _, range in
                for i in range { g[i] *= factor }
            }
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

    /// The same for an element-wise update (each element's new value depends on that
    /// element alone): a large dense tensor is updated as two halves on two threads.
    func forEachUpdatedRangeInParallel(_ update: (Range<Int>) -> Void) {
        guard touchedRows == nil else { return forEachUpdatedRange(update) }
        let count = value.count
        forEachRowChunk(count, work: count / 4) { _, range in update(range) }
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
    private var gradients: [Tensor<Scalar>?] = []
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
        return append(
            Node(label: label, kind: .operation, inputs: inputs.map(\.id), value: value,
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

    /// During a backward sweep: adds `g` into rows `range` of node `id`'s gradient, which
    /// starts as zeros. For an op whose gradient fills only a few rows of a large input
    /// (one time step's rows of every step's projected inputs): it returns nil for that
    /// input instead of a full-size tensor that is zero almost everywhere.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func addGradient(_ g: Tensor<Scalar>, rows range: Range<Int>, of id: Int) {
        let shape = nodes[id].value.shape
        let n = shape.count == 2 ? shape[1] : 1
        precondition(g.count == range.count * n, "addGradient: \(g.shape) for rows \(range) of shape \(shape)")
        if gradients[id] == nil { gradients[id] = .zeros(shape) }
        gradients[id]!.scalars.withUnsafeMutableBufferPointer { out in
            g.scalars.withUnsafeBufferPointer { rows in
                let base = range.lowerBound * n
                for i in rows.indices { out[base + i] += rows[i] }
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
