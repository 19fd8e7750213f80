/// The maximum-likelihood n-gram model: a ratio of counts, nothing else.
/// ```
/// P(w | h) = count(h w) / count(h)
/// ```
/// An n-gram never seen gets probability 0; a context never seen gets no distribution.
public struct MaximumLikelihoodModel: LanguageModel {
    public let counts: NGramCounts
    public let order: Int
    let contextTotals: [NGramTable]

    public init(_ counts: NGramCounts, order: Int) {
        precondition(order >= 1 && order <= counts.order, "order \(order) outside 1…\(counts.order)")
        self.counts = counts
        self.order = order
        contextTotals = (1...order).map { contextTotalsOfRawCounts(counts, order: $0) }
    }

    /// count(h), the number of times h was followed by some word (h: the last n − 1 ids,
    /// fewer at the start of a sentence).
    public func contextCount(_ context: ArraySlice<Int>) -> Int {
        let h = context.suffix(order - 1)
        return contextTotals[h.count][counts.key(h)] ?? 0
    }

    public func probability(of word: Int, after context: ArraySlice<Int>) -> Double? {
        let h = context.suffix(order - 1)
        let total = contextTotals[h.count][counts.key(h)] ?? 0
        guard total > 0 else { return nil }
        return Double(counts.count(Array(h) + [word])) / Double(total)
    }
}

/// Add-δ ("Laplace" for δ = 1) smoothing: every word the model can predict gets δ extra
/// counts in every context.
/// ```
/// P(w | h) = (count(h w) + δ) / (count(h) + δ (|V| − 1))     for w ≠ <s>
/// P(<s> | h) = 0
/// ```
/// The sentence start `<s>` is never predicted (it only ever stands in a context), so it
/// gets no δ and the denominator counts the |V| − 1 other words, as in `BackoffModel` and
/// `KneserNeyModel`: the distribution sums to one over the whole vocabulary. An unseen
/// context gives the uniform distribution 1/(|V| − 1) over the predictable words.
public struct AddDeltaModel: LanguageModel {
    public let counts: NGramCounts
    public let order: Int
    public let delta: Double
    let contextTotals: [NGramTable]
    let predictedVocabularySize: Double

    public init(_ counts: NGramCounts, order: Int, delta: Double) {
        precondition(order >= 1 && order <= counts.order && delta > 0)
        self.counts = counts
        self.order = order
        self.delta = delta
        contextTotals = (1...order).map { contextTotalsOfRawCounts(counts, order: $0) }
        predictedVocabularySize = Double(counts.vocabularySize - 1)
    }

    public func probability(of word: Int, after context: ArraySlice<Int>) -> Double? {
        // BEGIN SOLUTION ch3-add-delta
        if word == counts.startID { return 0 }  // <s> is never predicted
        let h = context.suffix(order - 1)
        let total = Double(contextTotals[h.count][counts.key(h)] ?? 0)
        let c = Double(counts.count(Array(h) + [word]))
        return (c + delta) / (total + delta * predictedVocabularySize)
        // END SOLUTION
    }
}

/// count(h) for every context h of order-n n-grams: Σ_w count(h w). Key: the context's ids.
func contextTotalsOfRawCounts(_ counts: NGramCounts, order n: Int) -> NGramTable {
    var totals = NGramTable(minimumCapacity: counts.distinct(order: n))
    counts.grams(order: n).forEach { key, c in totals.add(counts.split(key).context, c) }
    return totals
}
