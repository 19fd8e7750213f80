/// Interpolated Kneser-Ney smoothing with modified discounts (Chen and Goodman 1998),
/// computed as KenLM's `lmplz` and SRILM's `-kndiscount -interpolate` compute it.
///
/// **Adjusted counts.** The highest order uses raw counts. A lower-order n-gram is counted
/// by how many *different* words precede it (its continuation count), because a lower
/// order is only consulted for words that were not seen after the longer context:
/// "Francisco" is frequent but follows almost only "San". N-grams that start with `<s>`
/// cannot be preceded by anything and keep their raw counts.
///
/// **Discounts.** For each order, from the numbers n₁ … n₄ of n-grams whose adjusted count
/// is 1 … 4:
/// ```
/// Y = n₁ / (n₁ + 2 n₂);   D₁ = 1 − 2Y n₂/n₁;   D₂ = 2 − 3Y n₃/n₂;   D₃₊ = 3 − 4Y n₄/n₃
/// ```
/// **Probabilities.** With a(·) the adjusted counts, D(a) the discount for that count and
/// N₁(h•), N₂(h•), N₃₊(h•) the numbers of words seen after h with adjusted count 1, 2, ≥ 3:
/// ```
/// P(w | h) = (a(h w) − D(a(h w))) / Σ_v a(h v)  +  γ(h) · P(w | h′)
/// γ(h)     = (D₁ N₁(h•) + D₂ N₂(h•) + D₃₊ N₃₊(h•)) / Σ_v a(h v)
/// ```
/// where h′ is h without its first word. The unigram level interpolates with the uniform
/// distribution over the predicted vocabulary. A context never seen passes the lower
/// order's probability through unchanged.
public struct KneserNeyModel: LanguageModel {
    public let counts: NGramCounts
    public let order: Int
    /// discounts[k − 1] = (D₁, D₂, D₃₊) of order k.
    public let discounts: [(Double, Double, Double)]
    /// adjusted[k − 1]: a(g) for every k-gram g seen.
    let adjusted: [NGramTable]
    /// contexts[k − 1]: for every context h of a k-gram, an index into `contextStats`.
    let contexts: [NGramTable]
    /// (Σ a(h•), γ(h)) of each context.
    let contextStats: [[(total: Double, gamma: Double)]]
    let uniform: Double

    public init(_ counts: NGramCounts, order: Int? = nil) {
        let order = order ?? counts.order
        precondition(order >= 1 && order <= counts.order, "order \(order) outside 1…\(counts.order)")
        self.counts = counts
        self.order = order

        // Adjusted counts: continuation counts below the top order, raw at the top and for
        // n-grams that start with <s>.
        var adjusted = [NGramTable](repeating: NGramTable(), count: order)
        adjusted[order - 1] = counts.grams(order: order)
        for k in stride(from: order - 1, through: 1, by: -1) {
            var table = NGramTable(minimumCapacity: counts.distinct(order: k))
            counts.grams(order: k + 1).forEach { key, _ in table.add(counts.dropFirst(key, order: k + 1), 1) }
            counts.grams(order: k).forEach { key, c in
                if counts.first(key, order: k) == counts.startID { table.set(key, c) }
            }
            adjusted[k - 1] = table
        }

        // Discounts from the counts of adjusted counts.
        var discounts: [(Double, Double, Double)] = []
        for k in 1...order {
            var n = [0, 0, 0, 0, 0]
            adjusted[k - 1].forEach { _, a in if a <= 4 { n[a] += 1 } }
            let y = Double(n[1]) / (Double(n[1]) + 2 * Double(n[2]))
            func d(_ j: Int) -> Double {
                n[j] > 0 ? Double(j) - Double(j + 1) * y * Double(n[j + 1]) / Double(n[j]) : 0.5
            }
            discounts.append((d(1), d(2), d(3)))
        }

        // Per-context sums and interpolation weights: each context gets a slot in `stats`.
        var contexts = [NGramTable](repeating: NGramTable(), count: order)
        var contextStats = [[(total: Double, gamma: Double)]](repeating: [], count: order)
        for k in 1...order {
            var index = NGramTable(minimumCapacity: counts.distinct(order: k) / 2)
            var sums: [(total: Int, n1: Int, n2: Int, n3: Int)] = []
            adjusted[k - 1].forEach { key, a in
                let h = counts.split(key).context
                let slot: Int
                if let existing = index[h] { slot = existing } else {
                    slot = sums.count
                    index.set(h, slot)
                    sums.append((0, 0, 0, 0))
                }
                sums[slot].total += a
                switch a {
                case 1: sums[slot].n1 += 1
                case 2: sums[slot].n2 += 1
                default: sums[slot].n3 += 1
                }
            }
            let (d1, d2, d3) = discounts[k - 1]
            contextStats[k - 1] = sums.map { s in
                let total = Double(s.total)
                return (total, (d1 * Double(s.n1) + d2 * Double(s.n2) + d3 * Double(s.n3)) / total)
            }
            contexts[k - 1] = index
        }
        self.adjusted = adjusted
        self.discounts = discounts
        self.contexts = contexts
        self.contextStats = contextStats
        uniform = 1 / Double(counts.vocabularySize - 1)
    }

    @inline(__always)
    func discount(_ a: Int, order k: Int) -> Double {
        let d = discounts[k - 1]
        return a == 1 ? d.0 : a == 2 ? d.1 : d.2
    }

    public func probability(of word: Int, after context: ArraySlice<Int>) -> Double? {
        // BEGIN SOLUTION ch3-kneser-ney
        if word == counts.startID { return 0 }
        var p = uniform
        var contextKey: UInt128 = 0
        let history = Array(context.suffix(order - 1))
        for k in 1...order {
            if k > 1 {
                guard k - 1 <= history.count else { break }
                // the context grows one word to the left
                contextKey |= UInt128(history[history.count - (k - 1)]) << UInt128(counts.bits * (k - 2))
            }
            guard let slot = contexts[k - 1][contextKey] else { break }
            let h = contextStats[k - 1][slot]
            let a = adjusted[k - 1][contextKey << UInt128(counts.bits) | UInt128(word)] ?? 0
            let seen = a > 0 ? (Double(a) - discount(a, order: k)) / h.total : 0
            p = seen + h.gamma * p
        }
        return p
        // END SOLUTION
    }
}
