/// The adaptive softmax (Grave, Joulin, Cissé, Grangier and Jégou 2017, "Efficient softmax
/// approximation for GPUs"): an output layer whose cost grows with how often words are
/// used, not with how many words there are.
///
/// Words are numbered by training frequency (0 the most frequent). Cutoffs
/// c₁ < c₂ < … < c_K split them into a head, the c₁ most frequent words, and K tail
/// clusters, cluster k holding words c_k ..< c_(k+1) (c_(K+1) = |V|). The head is a
/// softmax over its c₁ words plus one entry per cluster, "the word is in cluster k";
/// cluster k is a softmax over its own words, computed from h projected down to
/// d / 4ᵏ dimensions (rare words get small vectors):
/// ```
/// p(w | h) = softmax(W_head h + b_head)[w]                                  w in the head
/// p(w | h) = softmax(W_head h + b_head)[c₁ + k − 1] · softmax(W_k P_k h + b_k)[w − c_k]
///                                                                           w in cluster k
/// ```
/// Each factor is a distribution, so p sums to 1 over the vocabulary. The loss of a batch,
/// the mean of −log p(target), needs the head for every row and cluster k only for the
/// rows whose target is in it: with Zipfian words most rows stop at the head, and the
/// |V|-wide product of the full softmax becomes a (c₁ + K)-wide one plus a few narrow
/// ones.
///
/// Parameters: `name.head.W` ((c₁ + K) × d), `name.head.b`, and per cluster k
/// `name.tailk.P` (d_k × d, d_k = max(1, d / 4ᵏ)), `name.tailk.W` (size_k × d_k),
/// `name.tailk.b`.
public struct AdaptiveSoftmax<Scalar: TensorScalar>: Layer {
    /// c₁ … c_K, then |V|.
    public let boundaries: [Int]
    public let head: Linear<Scalar>
    /// Cluster k's projection P_k (no bias) and its output layer W_k, b_k.
    public let tails: [(projection: Linear<Scalar>, output: Linear<Scalar>)]

    /// `cutoffs`: c₁ < … < c_K, each in 1 ..< vocabularySize (none: the full softmax).
    /// `reduction`: the projection of cluster k has d / reductionᵏ dimensions (4 in the
    /// paper). Weights uniform in ±1/√(fan-in), zero biases.
    public init(inputSize d: Int, vocabularySize: Int, cutoffs: [Int], reduction: Int = 4, name: String,
                using generator: inout SeededGenerator) {
        precondition(zip(cutoffs, cutoffs.dropFirst()).allSatisfy { $0 < $1 } && (cutoffs.first ?? 1) > 0
                     && (cutoffs.last ?? 0) < vocabularySize,
                     "AdaptiveSoftmax: cutoffs \(cutoffs) must increase inside 1..<\(vocabularySize)")
        boundaries = cutoffs + [vocabularySize]
        /// `name.part.weight` (output × input) uniform in ±1/√input, and `name.part.b` when `bias`.
        func linear(_ output: Int, _ input: Int, _ part: String, weight: String, bias: Bool) -> Linear<Scalar> {
            let bound = 1 / Double(input).squareRoot()
            return Linear(weight: Parameter("\(name).\(part).\(weight)", .uniform([output, input], bound: bound, using: &generator)),
                          bias: bias ? Parameter("\(name).\(part).b", .zeros([output])) : nil)
        }
        let headSize = boundaries[0] + cutoffs.count
        head = linear(headSize, d, "head", weight: "W", bias: true)
        var tails: [(Linear<Scalar>, Linear<Scalar>)] = []
        var width = d
        for k in stride(from: 1, through: cutoffs.count, by: 1) {
            width = max(1, width / reduction)
            tails.append((linear(width, d, "tail\(k)", weight: "P", bias: false),
                          linear(boundaries[k] - boundaries[k - 1], width, "tail\(k)", weight: "W", bias: true)))
        }
        self.tails = tails
    }

    public var vocabularySize: Int { boundaries.last! }
    /// c₁: how many words the head predicts directly.
    public var shortlistSize: Int { boundaries[0] }
    public var parameters: [Parameter<Scalar>] {
        head.parameters + tails.flatMap { $0.projection.parameters + $0.output.parameters }
    }

    /// The cluster of word `w`: 0 for the head, k for tail cluster k.
    public func cluster(of w: Int) -> Int {
        var k = 0
        while w >= boundaries[k] { k += 1 }
        return k
    }

    /// The head's class for each target (the word itself, or its cluster's entry), and for
    /// each tail cluster the rows whose target is in it with their indices inside it.
    func route(_ targets: [Int]) -> (head: [Int], rows: [[Int]], labels: [[Int]]) {
        var head = [Int](), rows = [[Int]](repeating: [], count: tails.count), labels = rows
        for (row, w) in targets.enumerated() {
            precondition(w >= 0 && w < vocabularySize, "AdaptiveSoftmax: word \(w) outside 0..<\(vocabularySize)")
            let k = cluster(of: w)
            if k == 0 {
                head.append(w)
            } else {
                head.append(shortlistSize + k - 1)
                rows[k - 1].append(row)
                labels[k - 1].append(w - boundaries[k - 1])
            }
        }
        return (head, rows, labels)
    }

    /// The mean of −log p(target | h) over the rows of `h` (N × d), as the equations read:
    /// the head's cross-entropy on every row, plus cluster k's on the rows whose target is
    /// in it, weighted by their share of the batch. A cluster no target uses is not
    /// computed at all.
    public func loss(_ h: Variable<Scalar>, targets: [Int]) -> Variable<Scalar> {
        precondition(h.shape[0] == targets.count && !targets.isEmpty, "AdaptiveSoftmax: \(h.shape[0]) rows for \(targets.count) targets")
        let (headTargets, rows, labels) = route(targets)
        var total = softmaxCrossEntropy(logits: head(h), labels: headTargets)
        for (k, tail) in tails.enumerated() where !rows[k].isEmpty {
            let inCluster = gather(h, rows: rows[k], label: "rows in cluster \(k + 1)")
            let logits = tail.output(tail.projection(inCluster))
            let share = Scalar(rows[k].count) / Scalar(targets.count)
            total = total + softmaxCrossEntropy(logits: logits, labels: labels[k]) * share
        }
        return total
    }

    /// The same loss with each softmax fused into its product (``linearSoftmaxCrossEntropy``:
    /// the (N × c₁ + K) logits written once, and the products on two threads when large):
    /// what the language models train with. Tested against ``loss(_:targets:)``.
    public func fusedLoss(_ h: Variable<Scalar>, targets: [Int]) -> Variable<Scalar> {
        precondition(h.shape[0] == targets.count && !targets.isEmpty, "AdaptiveSoftmax: \(h.shape[0]) rows for \(targets.count) targets")
        let tape = h.tape
        let (headTargets, rows, labels) = route(targets)
        var total = linearSoftmaxCrossEntropy(h, weight: tape.parameter(head.weight), bias: head.bias.map(tape.parameter),
                                              labels: headTargets)
        for (k, tail) in tails.enumerated() where !rows[k].isEmpty {
            let projected = tail.projection(gather(h, rows: rows[k], label: "rows in cluster \(k + 1)"))
            let share = Scalar(rows[k].count) / Scalar(targets.count)
            total = total + linearSoftmaxCrossEntropy(projected, weight: tape.parameter(tail.output.weight),
                                                      bias: tail.output.bias.map(tape.parameter), labels: labels[k]) * share
        }
        return total
    }

    /// log p(w | h) for every word of the vocabulary and every row of `h` (N × |V|): the
    /// whole distribution, every cluster computed (for evaluation by hand and the tests;
    /// training and perplexity use the loss).
    public func logProbabilities(_ h: Tensor<Scalar>) -> Tensor<Scalar> {
        let tape = Tape<Scalar>()
        let x = tape.input(h, name: "h")
        let headLog = logSoftmax(head(x)).value
        let n = h.rows, v = vocabularySize, c = shortlistSize
        var out = [Scalar](repeating: 0, count: n * v)
        for r in 0..<n { for w in 0..<c { out[r * v + w] = headLog.scalars[r * headLog.columns + w] } }
        for (k, tail) in tails.enumerated() {
            let tailLog = logSoftmax(tail.output(tail.projection(x))).value
            let start = boundaries[k], size = boundaries[k + 1] - start
            for r in 0..<n {
                let clusterLog = headLog.scalars[r * headLog.columns + c + k]
                for j in 0..<size { out[r * v + start + j] = clusterLog + tailLog.scalars[r * size + j] }
            }
        }
        return Tensor(shape: [n, v], scalars: out)
    }
}

/// Cutoffs in the spirit of the paper's: a head of `head` words (2,000 on the Penn
/// Treebank, the authors' setting), then clusters 10× larger each, up to `clusters`
/// tail clusters, all below |V|.
public func adaptiveSoftmaxCutoffs(vocabularySize: Int, head: Int = 2_000, clusters: Int = 3) -> [Int] {
    var cutoffs = [Int](), c = head
    while c < vocabularySize && cutoffs.count < clusters {
        cutoffs.append(c)
        c *= 10
    }
    return cutoffs
}
