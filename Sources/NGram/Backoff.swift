/// Backoff with absolute discounting (Katz-style, normalized): trust the longest context
/// that has seen the word, and fall back to a shorter one only for words it has not seen.
/// ```
/// P(w | h) = (c(h w) − D) / c(h)        if c(h w) > 0
///          = α(h) · P(w | h′)            otherwise
/// α(h)     = (D · N(h•) / c(h)) / (1 − Σ_{v: c(h v) > 0} P(v | h′))
/// ```
/// N(h•) is the number of different words seen after h, D = n₁ / (n₁ + 2 n₂) per order
/// (Ney's estimate), and α(h) hands exactly the discounted mass to the unseen words, so
/// every distribution sums to 1. A context never seen backs off with α = 1. The unigram
/// level interpolates its discounted mass with the uniform distribution.
public struct BackoffModel: LanguageModel {
    public let counts: NGramCounts
    public let order: Int
    public let discounts: [Double]
    /// contexts[k − 1][h] = the slot of (c(h), α(h)) in `contextStats[k − 1]`.
    private(set) var contexts: [NGramTable]
    private(set) var contextStats: [[(total: Double, alpha: Double)]]
    let unigramMass: Double
    let uniform: Double

    public init(_ counts: NGramCounts, order: Int? = nil) {
        let order = order ?? counts.order
        precondition(order >= 1 && order <= counts.order)
        self.counts = counts
        self.order = order
        var discounts: [Double] = []
        for k in 1...order {
            var n1 = 0, n2 = 0
            counts.grams(order: k).forEach { _, c in if c == 1 { n1 += 1 } else if c == 2 { n2 += 1 } }
            discounts.append(n1 + n2 > 0 ? Double(n1) / (Double(n1) + 2 * Double(n2)) : 0.5)
        }
        self.discounts = discounts
        uniform = 1 / Double(counts.vocabularySize - 1)
        let unigrams = counts.grams(order: 1)
        let total = Double(unigrams.total)
        unigramMass = discounts[0] * Double(unigrams.count) / total
        // Build level by level: α at order k needs the finished model of order k − 1.
        var root = NGramTable()
        root.set(0, 0)
        contexts = [root]
        contextStats = [[(total, 1)]]
        for k in stride(from: 2, through: order, by: 1) {
            var index = NGramTable(minimumCapacity: counts.distinct(order: k) / 2)
            var sums: [(total: Int, types: Int, lowerMass: Double)] = []
            counts.grams(order: k).forEach { key, c in
                let ids = counts.ids(key, order: k)
                let lower = self.probability(of: ids[k - 1], after: ids[1..<(k - 1)], upTo: k - 1)
                let h = counts.split(key).context
                let slot: Int
                if let existing = index[h] { slot = existing } else {
                    slot = sums.count
                    index.set(h, slot)
                    sums.append((0, 0, 0))
                }
                sums[slot].total += c
                sums[slot].types += 1
                sums[slot].lowerMass += lower
            }
            let discount = discounts[k - 1]
            contexts.append(index)
            contextStats.append(sums.map { s in
                let left = discount * Double(s.types) / Double(s.total)
                return (Double(s.total), s.lowerMass < 1 ? left / (1 - s.lowerMass) : 0)
            })
        }
    }

    public func probability(of word: Int, after context: ArraySlice<Int>) -> Double? {
        probability(of: word, after: context.suffix(order - 1), upTo: order)
    }

    /// P at order `k` (reading the last k − 1 ids of `context`).
    func probability(of word: Int, after context: ArraySlice<Int>, upTo k: Int) -> Double {
        if word == counts.startID { return 0 }
        let h = context.suffix(k - 1)
        if h.isEmpty {
            let c = Double(counts.count([word]))
            return max(c - discounts[0], 0) / contextStats[0][0].total + unigramMass * uniform
        }
        let n = h.count + 1
        guard let slot = contexts[n - 1][counts.key(h)] else {
            return probability(of: word, after: h.dropFirst(), upTo: n - 1)
        }
        let stats = contextStats[n - 1][slot]
        let c = counts.count(Array(h) + [word])
        if c > 0 { return (Double(c) - discounts[n - 1]) / stats.total }
        return stats.alpha * probability(of: word, after: h.dropFirst(), upTo: n - 1)
    }
}
