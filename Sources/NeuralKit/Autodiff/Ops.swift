import Foundation

/// The differentiable ops: each computes its output and records its local chain rule,
/// one derivative rule per primitive, all in this file.
///
/// Shapes follow a batch-first, row-major convention: a batch of B vectors of size n
/// is a (B × n) matrix, one example per row.

// MARK: - Linear algebra

/// Matrix product `a · b`, or `a · bᵀ` when `transposeRight` (a weight stored as
/// (outputSize × inputSize), as the slides write W in h = Wx + b).
/// a is (m × k); b is (k × n), or (n × k) when transposed; the result is (m × n).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func matmul<Scalar>(
    _ a: Variable<Scalar>, _ b: Variable<Scalar>, transposeRight: Bool = false
) -> Variable<Scalar> {
    let av = a.value, bv = b.value
    // Large products run as two halves of their rows on two threads (`gemm`'s `parallel`).
    let out = gemm(av, bv, transposeB: transposeRight, parallel: true)
    if let weight = b.tape.nodes[b.id].parameter, av.rows <= GradientAccumulator<Scalar>.deferredRows {
        // A weight applied to a few rows (one step of a recurrence): its gradient is
        // handed to the parameter, which adds all such products as one (see
        // GradientAccumulator.deferProduct); dA as usual.
        return a.tape.record(transposeRight ? "matmul(·ᵀ)" : "matmul", inputs: [a, b], value: out) { g in
            weight.accumulator.deferProduct(upstream: g, other: av, transposed: transposeRight)
            return [transposeRight ? gemm(g, bv) : gemm(g, bv, transposeB: true), nil]
        }
    }
    return a.tape.record(transposeRight ? "matmul(·ᵀ)" : "matmul", inputs: [a, b], value: out) { g in
        if transposeRight {
            // C = A Bᵀ:  dA = dC B,  dB = dCᵀ A
            return [gemm(g, bv, parallel: true), gemm(g, av, transposeA: true, parallel: true)]
        }
        // C = A B:  dA = dC Bᵀ,  dB = Aᵀ dC
        return [gemm(g, bv, transposeB: true, parallel: true), gemm(av, g, transposeA: true, parallel: true)]
    }
}

/// Element-wise sum of same-shaped tensors, or a (B × n) matrix plus an (n) bias vector
/// added to every row (the broadcast bias: its gradient sums over the rows).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func + <Scalar>(a: Variable<Scalar>, b: Variable<Scalar>) -> Variable<Scalar> {
    let av = a.value, bv = b.value
    if av.shape == bv.shape {
        return a.tape.record("add", inputs: [a, b], value: av.zipMap(bv, "add", +)) { g in [g, g] }
    }
    precondition(
        av.rank == 2 && bv.rank == 1 && bv.shape[0] == av.shape[1],
        "add: cannot add shape \(bv.shape) to shape \(av.shape) (same shapes, or a bias of length columns)")
    let n = av.columns
    var out = av.scalars
    out.withUnsafeMutableBufferPointer { o in
        bv.scalars.withUnsafeBufferPointer { bias in
            for r in 0..<av.rows {
                let row = r * n
                for j in 0..<n { o[row + j] += bias[j] }
            }
        }
    }
    return a.tape.record("add (bias)", inputs: [a, b], value: Tensor(shape: av.shape, scalars: out)) { g in
        [g, g.columnSums()]
    }
}

/// Element-wise difference of same-shaped tensors.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func - <Scalar>(a: Variable<Scalar>, b: Variable<Scalar>) -> Variable<Scalar> {
    a.tape.record("subtract", inputs: [a, b], value: a.value.zipMap(b.value, "subtract", -)) { g in
        [g, g.map { -$0 }]
    }
}

/// Element-wise (Hadamard) product of same-shaped tensors.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func * <Scalar>(a: Variable<Scalar>, b: Variable<Scalar>) -> Variable<Scalar> {
    let av = a.value, bv = b.value
    return a.tape.record("multiply", inputs: [a, b], value: av.zipMap(bv, "multiply", *)) { g in
        [g.zipMap(bv, "multiply", *), g.zipMap(av, "multiply", *)]
    }
}

/// 1 − x, element-wise (the GRU's complement of its update gate).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func oneMinus<Scalar>(_ x: Variable<Scalar>) -> Variable<Scalar> {
    x.tape.record("1 − x", inputs: [x], value: x.value.map { 1 - $0 }) { g in [g.map { -$0 }] }
}

/// Every element times a constant.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func * <Scalar>(a: Variable<Scalar>, c: Scalar) -> Variable<Scalar> {
    // (the label with 4 significant digits: "scale ×0.3333", not every digit of a Double)
    a.tape.record("scale ×\(String(format: "%.4g", Double(c)))", inputs: [a], value: a.value.map { $0 * c }) { g in [g.map { $0 * c }] }
}

// MARK: - Non-linearities

/// The logistic function σ(x) = 1 / (1 + e^(−x)), element-wise; σ' = σ(1 − σ).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func sigmoid<Scalar>(_ x: Variable<Scalar>) -> Variable<Scalar> {
    var y = x.value
    y.scalars.withUnsafeMutableBufferPointer { Scalar.logistic($0) }
    return x.tape.record("sigmoid", inputs: [x], value: y) { g in
        [g.zipMap(y, "sigmoid") { g, s in g * s * (1 - s) }]
    }
}

/// tanh, element-wise; tanh' = 1 − tanh².
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func tanh<Scalar>(_ x: Variable<Scalar>) -> Variable<Scalar> {
    var y = x.value
    y.scalars.withUnsafeMutableBufferPointer { Scalar.tanh($0) }
    return x.tape.record("tanh", inputs: [x], value: y) { g in
        [g.zipMap(y, "tanh") { g, t in g * (1 - t * t) }]
    }
}

/// max(0, x), element-wise; the derivative is taken as 0 at x = 0.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func relu<Scalar>(_ x: Variable<Scalar>) -> Variable<Scalar> {
    let xv = x.value
    return x.tape.record("relu", inputs: [x], value: xv.map { Swift.max($0, 0) }) { g in
        [g.zipMap(xv, "relu") { g, x in x > 0 ? g : 0 }]
    }
}

// MARK: - Softmax and losses

/// Softmax of each row: exp(x_j) / Σ_k exp(x_k), computed stably.
/// Backward: dx = y ⊙ (g − Σ_j g_j y_j) per row.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func softmax<Scalar>(_ x: Variable<Scalar>) -> Variable<Scalar> {
    let y = rowSoftmax(x.value).probabilities
    return x.tape.record("softmax", inputs: [x], value: y) { g in
        let n = y.columns
        var dx = g.scalars
        for r in 0..<y.rows {
            var dot: Scalar = 0
            for j in 0..<n { dot += g.scalars[r * n + j] * y.scalars[r * n + j] }
            for j in 0..<n { dx[r * n + j] = y.scalars[r * n + j] * (g.scalars[r * n + j] - dot) }
        }
        return [Tensor(shape: y.shape, scalars: dx)]
    }
}

/// log softmax of each row, stable. Backward: dx = g − softmax · Σ_j g_j per row.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func logSoftmax<Scalar>(_ x: Variable<Scalar>) -> Variable<Scalar> {
    let y = rowLogSoftmax(x.value)
    return x.tape.record("log-softmax", inputs: [x], value: y) { g in
        let n = y.columns
        var dx = g.scalars
        for r in 0..<y.rows {
            var total: Scalar = 0
            for j in 0..<n { total += g.scalars[r * n + j] }
            for j in 0..<n { dx[r * n + j] -= Scalar.exp(y.scalars[r * n + j]) * total }
        }
        return [Tensor(shape: y.shape, scalars: dx)]
    }
}

/// Mean cross-entropy of the rows of `logits` (B × C) against class `labels` (B of them),
/// with the softmax fused in:
/// ```
/// J = −(1/B) Σ_i log softmax(logits_i)[labels_i]
/// ```
/// Stable for any logits (log-sum-exp with the row maximum subtracted). Its gradient is
/// (softmax(logits) − onehot(labels)) / B.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func softmaxCrossEntropy<Scalar>(logits: Variable<Scalar>, labels: [Int]) -> Variable<Scalar> {
    let lv = logits.value
    precondition(lv.rank == 2 && lv.rows == labels.count,
                  "softmaxCrossEntropy: logits of shape \(lv.shape) for \(labels.count) labels")
    let n = lv.columns
    // p = softmax(logits) is kept for the backward pass; the loss needs only the label's
    // log-probability, x[label] − log Σ exp(x).
    let (p, logNormalizers) = rowSoftmax(lv)
    var total: Scalar = 0
    for (i, label) in labels.enumerated() {
        precondition(label >= 0 && label < n, "softmaxCrossEntropy: label \(label) outside 0..<\(n)")
        total -= lv.scalars[i * n + label] - logNormalizers[i]
    }
    let batch = Scalar(labels.count)
    return logits.tape.record("cross-entropy", inputs: [logits], value: Tensor(total / batch)) { g in
        let scale = g.scalar / batch
        var dx = p.map { $0 * scale }
        for (i, label) in labels.enumerated() { dx.scalars[i * n + label] -= scale }
        return [dx]
    }
}

/// Mean binary cross-entropy of scores `s` (any shape) against 0/1 `labels`, with the
/// logistic σ fused in:
/// ```
/// J = −(1/N) Σ [ y log σ(s) + (1 − y) log(1 − σ(s)) ] = (1/N) Σ [ softplus(s) − y s ]
/// ```
/// Stable for large |s|. Its gradient is (σ(s) − y) / N.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func sigmoidCrossEntropy<Scalar>(logits: Variable<Scalar>, labels: [Scalar]) -> Variable<Scalar> {
    let s = logits.value
    precondition(s.count == labels.count,
                  "sigmoidCrossEntropy: \(s.count) scores for \(labels.count) labels")
    var total: Scalar = 0
    for (x, y) in zip(s.scalars, labels) {
        // softplus(x) = max(x, 0) + log(1 + e^(−|x|))
        total += Swift.max(x, 0) + Scalar.log(1 + Scalar.exp(-Swift.abs(x))) - y * x
    }
    let count = Scalar(labels.count)
    return logits.tape.record("binary cross-entropy", inputs: [logits], value: Tensor(total / count)) { g in
        let scale = g.scalar / count
        return [Tensor(shape: s.shape, scalars: zip(s.scalars, labels).map { (logistic($0) - $1) * scale })]
    }
}

// MARK: - Embedding, concatenation, slicing

/// Rows `ids` of `table` (V × d), stacked into (ids.count × d): the embedding lookup.
/// Backward scatters: row i of the gradient is added into row ids[i] of the table's
/// gradient, so a word used twice collects both contributions. When the table is a
/// parameter, the rows are added straight into its gradient and only they are marked
/// as touched (see ``Parameter``), so nothing of the size of the table is built.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func gather<Scalar>(_ table: Variable<Scalar>, rows ids: [Int], label: String = "gather") -> Variable<Scalar> {
    let tv = table.value
    precondition(tv.rank == 2, "gather: needs a (V × d) table, got shape \(tv.shape)")
    let d = tv.columns, vocabulary = tv.rows
    var out = [Scalar](repeating: 0, count: ids.count * d)
    for (i, id) in ids.enumerated() {
        precondition(id >= 0 && id < vocabulary, "gather: id \(id) outside the table's \(vocabulary) rows")
        for j in 0..<d { out[i * d + j] = tv.scalars[id * d + j] }
    }
    let output = Tensor(shape: [ids.count, d], scalars: out)
    if let parameter = table.tape.nodes[table.id].parameter {
        // A table that is a parameter gets its rows' gradients directly (row-sparse).
        return table.tape.record(label, inputs: [table], value: output) { g in
            parameter.accumulator.addRows(ids, g)
            return [nil]
        }
    }
    return table.tape.record(label, inputs: [table], value: output) { g in
        var dt = Tensor<Scalar>.zeros(tv.shape)
        for (i, id) in ids.enumerated() {
            for j in 0..<d { dt.scalars[id * d + j] += g.scalars[i * d + j] }
        }
        return [dt]
    }
}

/// Joins (B × n_i) matrices side by side into (B × Σ n_i): x = [x₁ x₂ … ].
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func concatenate<Scalar>(columns parts: [Variable<Scalar>]) -> Variable<Scalar> {
    precondition(!parts.isEmpty, "concatenate: nothing to join")
    let values = parts.map(\.value)
    let rows = values[0].rows
    precondition(values.allSatisfy { $0.rank == 2 && $0.rows == rows },
                  "concatenate: row counts differ: \(values.map(\.shape))")
    let widths = values.map(\.columns)
    let total = widths.reduce(0, +)
    var out = [Scalar](repeating: 0, count: rows * total)
    var offset = 0
    for (v, w) in zip(values, widths) {
        for r in 0..<rows { for j in 0..<w { out[r * total + offset + j] = v.scalars[r * w + j] } }
        offset += w
    }
    return parts[0].tape.record("concat", inputs: parts, value: Tensor(shape: [rows, total], scalars: out)) { g in
        var offset = 0
        return widths.map { w in
            var part = [Scalar](repeating: 0, count: rows * w)
            for r in 0..<rows { for j in 0..<w { part[r * w + j] = g.scalars[r * total + offset + j] } }
            offset += w
            return Tensor(shape: [rows, w], scalars: part)
        }
    }
}

/// Columns `range` of a (B × n) matrix, as (B × range.count).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func slice<Scalar>(_ x: Variable<Scalar>, columns range: Range<Int>, label: String? = nil) -> Variable<Scalar> {
    let xv = x.value
    precondition(xv.rank == 2 && range.lowerBound >= 0 && range.upperBound <= xv.columns,
                  "slice: columns \(range) of shape \(xv.shape)")
    let n = xv.columns, w = range.count
    var out = [Scalar](repeating: 0, count: xv.rows * w)
    for r in 0..<xv.rows { for j in 0..<w { out[r * w + j] = xv.scalars[r * n + range.lowerBound + j] } }
    return x.tape.record(label ?? "slice [\(range.lowerBound)..<\(range.upperBound)]", inputs: [x],
                         value: Tensor(shape: [xv.rows, w], scalars: out)) { g in
        var dx = Tensor<Scalar>.zeros(xv.shape)
        for r in 0..<xv.rows { for j in 0..<w { dx.scalars[r * n + range.lowerBound + j] = g.scalars[r * w + j] } }
        return [dx]
    }
}

/// Stacks (B_i × n) matrices on top of each other into (Σ B_i × n): the hidden states of
/// every time step, one block of rows per step, so the output layer runs as one product.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func concatenate<Scalar>(rows parts: [Variable<Scalar>]) -> Variable<Scalar> {
    precondition(!parts.isEmpty, "concatenate: nothing to stack")
    let values = parts.map(\.value)
    let n = values[0].columns
    precondition(values.allSatisfy { $0.rank == 2 && $0.columns == n },
                  "concatenate: column counts differ: \(values.map(\.shape))")
    let counts = values.map(\.rows)
    var out: [Scalar] = []
    out.reserveCapacity(counts.reduce(0, +) * n)
    for v in values { out += v.scalars }
    return parts[0].tape.record("stack rows", inputs: parts, value: Tensor(shape: [out.count / Swift.max(n, 1), n], scalars: out)) { g in
        var offset = 0
        return counts.map { rows in
            defer { offset += rows * n }
            return Tensor(shape: [rows, n], scalars: Array(g.scalars[offset..<(offset + rows * n)]))
        }
    }
}

/// Rows `range` of a (B × n) matrix, as (range.count × n).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func slice<Scalar>(_ x: Variable<Scalar>, rows range: Range<Int>) -> Variable<Scalar> {
    let xv = x.value
    precondition(xv.rank == 2 && range.lowerBound >= 0 && range.upperBound <= xv.rows,
                  "slice: rows \(range) of shape \(xv.shape)")
    let n = xv.columns
    let out = Array(xv.scalars[(range.lowerBound * n)..<(range.upperBound * n)])
    // The gradient goes straight into the rows of x's gradient (a full-size tensor per
    // slice, zero but for these rows, cost more than a time step's own work). The tape
    // is held unowned: it owns this closure.
    let id = x.id
    return x.tape.record("rows [\(range.lowerBound)..<\(range.upperBound)]", inputs: [x],
                         value: Tensor(shape: [range.count, n], scalars: out)) { [unowned tape = x.tape] g in
        tape.addGradient(g, rows: range, of: id)
        return [nil]
    }
}

// MARK: - Reductions

/// The sum of all elements, as a scalar.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func sum<Scalar>(_ x: Variable<Scalar>) -> Variable<Scalar> {
    let shape = x.shape
    return x.tape.record("sum", inputs: [x], value: Tensor(x.value.sum())) { g in
        [Tensor(shape: shape, repeating: g.scalar)]
    }
}

/// The mean of all elements, as a scalar.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func mean<Scalar>(_ x: Variable<Scalar>) -> Variable<Scalar> {
    let shape = x.shape
    let count = Scalar(x.value.count)
    return x.tape.record("mean", inputs: [x], value: Tensor(x.value.sum() / count)) { g in
        [Tensor(shape: shape, repeating: g.scalar / count)]
    }
}

/// The mean of each run of consecutive rows: x is (Σ lengths × n), the result is
/// (lengths.count × n) with row i the average of the lengths[i] rows of segment i. This is
/// the Deep Averaging Network's composition of a batch of sentences of different lengths,
/// their words' vectors stacked one sentence after another:
/// ```
/// av_i = (1 / |s_i|) Σ_{w ∈ s_i} x_w
/// ```
/// Backward hands each row of segment i the gradient of av_i divided by lengths[i].
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func segmentMean<Scalar>(_ x: Variable<Scalar>, lengths: [Int]) -> Variable<Scalar> {
    let xv = x.value
    precondition(xv.rank == 2, "segmentMean: needs a matrix, got shape \(xv.shape)")
    precondition(lengths.allSatisfy { $0 > 0 } && lengths.reduce(0, +) == xv.rows,
                 "segmentMean: segments of lengths \(lengths.prefix(8))… must be positive and cover the \(xv.rows) rows")
    // BEGIN SOLUTION ch2-segment-mean
    let n = xv.columns
    var out = [Scalar](repeating: 0, count: lengths.count * n)
    var start = 0
    for (i, length) in lengths.enumerated() {
        let scale = 1 / Scalar(length)
        for r in start..<(start + length) {
            for j in 0..<n { out[i * n + j] += xv.scalars[r * n + j] }
        }
        for j in 0..<n { out[i * n + j] *= scale }
        start += length
    }
    let shape = xv.shape
    return x.tape.record("average", inputs: [x], value: Tensor(shape: [lengths.count, n], scalars: out)) { g in
        var dx = [Scalar](repeating: 0, count: shape[0] * n)
        var start = 0
        for (i, length) in lengths.enumerated() {
            let scale = 1 / Scalar(length)
            for r in start..<(start + length) {
                for j in 0..<n { dx[r * n + j] = g.scalars[i * n + j] * scale }
            }
            start += length
        }
        return [Tensor(shape: shape, scalars: dx)]
    }
    // END SOLUTION
}

/// Element-wise maximum of same-shaped tensors (max-pooling over time, one step at a
/// time). The gradient goes to the larger input; on a tie, to `a`.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func maximum<Scalar>(_ a: Variable<Scalar>, _ b: Variable<Scalar>) -> Variable<Scalar> {
    let av = a.value, bv = b.value
    precondition(av.shape == bv.shape, "maximum: shapes \(av.shape) and \(bv.shape) differ")
    let out = av.zipMap(bv, "maximum") { Swift.max($0, $1) }
    return a.tape.record("max", inputs: [a, b], value: out) { g in
        var da = g, db = g
        for i in g.scalars.indices {
            if av.scalars[i] >= bv.scalars[i] { db.scalars[i] = 0 } else { da.scalars[i] = 0 }
        }
        return [da, db]
    }
}

// MARK: - Shape

/// The same elements under another shape with the same count (row-major order kept).
/// (5B × d) → (B × 5d) turns five stacked word vectors per window into one window vector.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func reshape<Scalar>(_ x: Variable<Scalar>, to shape: [Int]) -> Variable<Scalar> {
    let original = x.shape
    precondition(shape.reduce(1, *) == x.value.count, "reshape: cannot view shape \(original) as \(shape)")
    return x.tape.record("reshape", inputs: [x], value: x.value.reshaped(shape)) { g in [g.reshaped(original)] }
}

// MARK: - Regularization

/// Inverted dropout: each element is kept with probability 1 − rate and scaled by
/// 1 / (1 − rate), or set to 0, so the expected value is unchanged and evaluation needs
/// no rescaling. The mask is drawn from `generator` and reused by the backward pass.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
public func dropout<Scalar>(
    _ x: Variable<Scalar>, rate: Double, using generator: inout SeededGenerator
) -> Variable<Scalar> {
    precondition(rate >= 0 && rate < 1, "dropout: rate \(rate) outside [0, 1)")
    if rate == 0 { return x }
    let keep = Scalar(1 / (1 - rate))
    var mask = [Scalar](repeating: 0, count: x.value.count)
    for i in mask.indices where generator.nextUnit() >= rate { mask[i] = keep }
    let m = Tensor(shape: x.shape, scalars: mask)
    return x.tape.record("dropout \(rate)", inputs: [x], value: x.value.zipMap(m, "dropout", *)) { g in
        [g.zipMap(m, "dropout", *)]
    }
}

// MARK: - Element-wise helpers

// Here, in the file of the ops that call them, so that a debug build (which compiles file
// by file) inlines them with the operation they are given and vectorizes the loop.
extension Tensor {
    /// Applies `f` to every element.
    @inline(__always)
    func map(_ f: (Scalar) -> Scalar) -> Tensor {
        var out = scalars
        out.withUnsafeMutableBufferPointer { o in
            for i in o.indices { o[i] = f(o[i]) }
        }
        return Tensor(shape: shape, scalars: out)
    }

    /// Combines two same-shaped tensors element by element.
    @inline(__always)
    func zipMap(_ other: Tensor, _ op: String, _ f: (Scalar, Scalar) -> Scalar) -> Tensor {
        precondition(shape == other.shape, "\(op): shapes \(shape) and \(other.shape) differ")
        var out = scalars
        out.withUnsafeMutableBufferPointer { o in
            other.scalars.withUnsafeBufferPointer { b in
                for i in o.indices { o[i] = f(o[i], b[i]) }
            }
        }
        return Tensor(shape: shape, scalars: out)
    }
}
