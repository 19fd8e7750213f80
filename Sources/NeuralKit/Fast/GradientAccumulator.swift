import Dispatch
import Foundation

/// Where a ``Parameter``'s gradient is kept, and the fast ways into it.
///
/// The readable way is ``add(_:)``: gradient += g, with g the size of the parameter.
/// That is all the tape's backward sweep does, and all a small model needs. The language
/// models' fast ops opt into three cheaper forms of the same sum, each named at its call
/// site (`parameter.accumulator.…`):
///
/// - ``deferProduct(upstream:other:transposed:)``: a recurrent weight gets one small
///   product per time step; they are kept and added as one large product when the
///   gradient is first read (`matmul`, the whole-window RNN, LSTM and GRU).
/// - ``addRows(_:_:)``: an embedding lookup adds into the rows it used, and records them,
///   so the optimizers and ``zero()`` visit those rows, not the whole table (`gather`).
/// - ``addInBackground(parts:_:)`` and ``addInPlace(overwriting:)``: the output layer's
///   product is added straight into the buffer, on another thread while the sweep goes
///   on, or in place (`linearSoftmaxCrossEntropy`).
///
/// A dense gradient's ``zero()`` only marks it zero; the next use writes the zeros, or,
/// for those two, overwrites the buffer instead of adding to it.
///
/// Each gives the same numbers whichever thread or order runs it, so the sum does not
/// depend on timing; the gradient checks (GradientCheckTests, SparseRowsTests) compare
/// every form with finite differences and with the dense rule.
final class GradientAccumulator<Scalar: TensorScalar> {
    /// The parameter's name, for error messages.
    let name: String
    private var accumulated: Tensor<Scalar>
    /// Work adding into `accumulated` on another thread (see ``addInBackground(parts:_:)``).
    private var background: (DispatchGroup, BackgroundWork)?
    /// The gradient buffer; every access first waits for work running in the background,
    /// and writes the zeros that ``zero()`` left pending.
    private var storedGradient: Tensor<Scalar> {
        get {
            finishBackgroundWork()
            writePendingZeros()
            return accumulated
        }
        _modify {
            finishBackgroundWork()
            writePendingZeros()
            yield &accumulated
        }
    }
    /// A dense gradient's ``zero()`` only notes that the buffer is zero: the next access
    /// writes the zeros, unless it is ``addInBackground(parts:_:)`` or
    /// ``addInPlace(overwriting:)``, which then overwrite the buffer instead of adding to it
    /// (one pass over a large gradient saved).
    private var zerosPending = false
    private func writePendingZeros() {
        guard zerosPending else { return }
        zerosPending = false
        accumulated.scalars.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }
    private var isDense = false
    private var rows: [Int] = []
    /// Products waiting to be added to the gradient as one (see ``deferProduct``).
    private var pending: [(upstream: Tensor<Scalar>, other: Tensor<Scalar>)] = []
    private var pendingTransposed = false

    init(name: String, shape: [Int]) {
        self.name = name
        self.accumulated = .zeros(shape)
    }

    /// Work still running writes into this gradient: let it finish first.
    deinit { finishBackgroundWork() }

    /// The gradient: every deferred product added, every background piece finished.
    var total: Tensor<Scalar> {
        flushPending()
        return storedGradient
    }

    /// Replaces the gradient (dense from now on).
    func replace(with gradient: Tensor<Scalar>) {
        pending.removeAll()
        storedGradient = gradient
        isDense = true
    }

    /// gradient += g, everywhere: the rule.
    func add(_ g: Tensor<Scalar>) {
        storedGradient.add(g)
        isDense = true
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
        // Large, as two halves of W's rows on two threads (the same numbers either way).
        let (m, columns) = transposed ? (n, k) : (k, n)
        storedGradient.scalars.withUnsafeMutableBufferPointer { out in
            left.withUnsafeBufferPointer { l in
                right.withUnsafeBufferPointer { r in
                    let (l, r, out) = (UncheckedSendable(l.baseAddress!), UncheckedSendable(r.baseAddress!),
                                       UncheckedSendable(out.baseAddress!))
                    forEachRowChunk(m, work: m * columns * rows >> 6) { _, part in
                        if transposed {  // W is (n × k): += [dC]ᵀ [A]
                            Scalar.gemm(transposeA: true, transposeB: false, m: part.count, n: k, k: rows, alpha: 1,
                                        a: l.value + part.lowerBound, lda: n, b: r.value, ldb: k, beta: 1,
                                        c: out.value + part.lowerBound * k, ldc: k)
                        } else {  // W is (k × n): += [A]ᵀ [dC]
                            Scalar.gemm(transposeA: true, transposeB: false, m: part.count, n: n, k: rows, alpha: 1,
                                        a: r.value + part.lowerBound, lda: k, b: l.value, ldb: n, beta: 1,
                                        c: out.value + part.lowerBound * n, ldc: n)
                        }
                    }
                }
            }
        }
        isDense = true
    }

    /// The rows of a matrix parameter that can have a nonzero gradient, sorted; nil when
    /// any element can (the gradient is dense).
    var touchedRows: [Int]? {
        flushPending()
        return isDense ? nil : Array(Set(rows)).sorted()
    }

    /// Lets `body` add into the whole gradient in place (for example a BLAS product with
    /// beta = 1, so no temporary of the parameter's size is built). With `overwrite` the
    /// gradient is zero and its buffer not yet cleared, and `body` must write every element
    /// instead (a product with beta = 0: the same numbers as adding to zeros).
    func addInPlace(overwriting body: (UnsafeMutableBufferPointer<Scalar>, Bool) -> Void) {
        finishBackgroundWork()
        let overwrite = zerosPending
        zerosPending = false
        accumulated.scalars.withUnsafeMutableBufferPointer { body($0, overwrite) }
        isDense = true
    }
    /// Adds into the gradient in `parts` pieces, `body(part, gradient, overwrite)` each,
    /// on another thread while the caller goes on (the backward sweep through the rest of
    /// the tape). The first later use of the gradient takes the pieces not started yet
    /// itself, from the last one down, and waits for the rest, so two cores share what
    /// remains. Each piece must write its own part of the gradient, and the same numbers
    /// whichever thread runs it: the sum then does not depend on timing. With `overwrite`
    /// the gradient is zero and its buffer not yet cleared: the pieces together must write
    /// every element (a product with beta = 0, the same numbers as adding to zeros).
    func addInBackground(parts: Int, _ body: @escaping (Int, UnsafeMutableBufferPointer<Scalar>, Bool) -> Void) {
        finishBackgroundWork()
        let overwrite = zerosPending
        zerosPending = false
        isDense = true
        // The buffer stays where it is until the work is finished: every other access to
        // `accumulated` goes through `storedGradient`, which finishes it first.
        var buffer: UnsafeMutableBufferPointer<Scalar>!
        accumulated.scalars.withUnsafeMutableBufferPointer { buffer = $0 }
        let work = BackgroundWork(buffer: buffer, body: { part, gradient in body(part, gradient, overwrite) },
                                  queue: PieceQueue(count: parts))
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
    func addRows(_ ids: [Int], _ g: Tensor<Scalar>) {
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

    /// gradient *= factor (its sparsity is kept: of an embedding's gradient only the rows
    /// a batch used are scaled, the others being zeros; the table is 2 million floats at
    /// Penn Treebank sizes, the rows of a window 80,000).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func scale(by factor: Scalar) {
        let rows = touchedRowRanges  // (before the buffer is opened for writing)
        storedGradient.scalars.withUnsafeMutableBufferPointer { g in
            if let rows {
                for range in rows { for i in range { g[i] *= factor } }
            } else {
                forEachRowChunk(g.count, work: g.count / 4) { _, range in
                    for i in range { g[i] *= factor }
                }
            }
        }
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func zero() {
        pending.removeAll()
        if isDense {
            finishBackgroundWork()
            zerosPending = true
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
        // (`touchedRows` has finished any background work, so `storedGradient` is free)
        guard let rows = touchedRowRanges else { return update(0..<storedGradient.count) }
        for range in rows { update(range) }
    }

    /// The elements of the touched rows (``touchedRows``), row by row; nil when the
    /// gradient is dense.
    private var touchedRowRanges: [Range<Int>]? {
        guard let touched = touchedRows else { return nil }
        let d = storedGradient.columns
        return touched.map { ($0 * d)..<(($0 + 1) * d) }
    }

    /// The same for an element-wise update (each element's new value depends on that
    /// element alone): a large dense tensor is updated as two halves on two threads.
    func forEachUpdatedRangeInParallel(_ update: (Range<Int>) -> Void) {
        guard touchedRows == nil else { return forEachUpdatedRange(update) }
        let count = storedGradient.count
        forEachRowChunk(count, work: count / 4) { _, range in update(range) }
    }
}

extension Parameter {
    /// gradient *= factor (its sparsity is kept): what gradient clipping does.
    func scaleGradient(by factor: Scalar) { accumulator.scale(by: factor) }

    /// Calls `update(range)` for each run of elements that may have a nonzero gradient:
    /// the whole tensor, or the touched rows one by one (what the optimizers visit).
    func forEachUpdatedRange(_ update: (Range<Int>) -> Void) { accumulator.forEachUpdatedRange(update) }

    /// The same for an element-wise update: a large dense tensor as two halves on two threads.
    func forEachUpdatedRangeInParallel(_ update: (Range<Int>) -> Void) {
        accumulator.forEachUpdatedRangeInParallel(update)
    }
}

extension Tape {
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
}
