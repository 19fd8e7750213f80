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
/// Each D_j must lie in [0, j]: a negative discount would *add* mass to seen n-grams and
/// leave the interpolation weight γ negative, so some probabilities come out below zero.
/// On a small training text (few n-grams seen 3 or 4 times) that happens, and the model
/// refuses, naming the order and its counts of counts, as KenLM's `lmplz` does (KenLM also
/// refuses a discount that is 0/0 but never used; this model only refuses what it uses); with a
/// ``DiscountFallback`` it uses fixed discounts for that order instead (KenLM's
/// `--discount_fallback`, whose defaults are 0.5, 1 and 1.5) and says which orders did.
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
    /// The orders whose estimated discounts were out of range and were replaced by the
    /// fallback (empty unless one was given).
    public let fallbackOrders: [Int]
    /// adjusted[k − 1]: a(g) for every k-gram g seen.
    let adjusted: [NGramTable]
    /// contexts[k − 1]: for every context h of a k-gram, an index into `contextStats`.
    let contexts: [NGramTable]
    /// (Σ a(h•), γ(h)) of each context.
    let contextStats: [[(total: Double, gamma: Double)]]
    let uniform: Double

    public init(_ counts: NGramCounts, order: Int? = nil, fallback: DiscountFallback? = nil) throws {
        let order = order ?? counts.order
        precondition(order >= 1 && order <= counts.order, "order \(order) outside 1…\(counts.order)")
        self.counts = counts
        self.order = order

        // Adjusted counts: continuation counts below the top order, raw at the top and for
        // n-grams that start with <s>.
        // (Each order's table depends on the counts alone: the orders are built side by side.)
        let adjusted = onEveryCore(order) { i -> NGramTable in
            let k = i + 1
            if k == order { return counts.grams(order: order) }
            var table = NGramTable(minimumCapacity: counts.distinct(order: k))
            counts.grams(order: k + 1).forEach { key, _ in table.add(counts.dropFirst(key, order: k + 1), 1) }
            counts.grams(order: k).forEach { key, c in
                if counts.first(key, order: k) == counts.startID { table.set(key, c) }
            }
            return table
        }

        // Discounts from the counts of adjusted counts.
        var discounts: [(Double, Double, Double)] = []
        var fallbackOrders: [Int] = []
        for k in 1...order {
            var n = [0, 0, 0, 0, 0], atLeastThree = 0
            adjusted[k - 1].forEach { _, a in
                if a <= 4 { n[a] += 1 }
                if a >= 3 { atLeastThree += 1 }
            }
            do {
                discounts.append(try Self.estimatedDiscounts(countsOfCounts: n, atLeastThree: atLeastThree, order: k))
            } catch let error as KneserNeyDiscountError {
                guard let fallback else { throw error }
                discounts.append((fallback.d1, fallback.d2, fallback.d3))
                fallbackOrders.append(k)
            }
        }
        self.fallbackOrders = fallbackOrders

        // Per-context sums and interpolation weights: each context gets a slot in `stats`
        // (again one order per core).
        let estimated = discounts
        let perOrder = onEveryCore(order) { i -> (NGramTable, [(total: Double, gamma: Double)]) in
            var index = NGramTable(minimumCapacity: counts.distinct(order: i + 1) / 2)
            var sums: [(total: Int, n1: Int, n2: Int, n3: Int)] = []
            adjusted[i].forEach { key, a in
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
            let (d1, d2, d3) = estimated[i]
            return (index, sums.map { s in
                let total = Double(s.total)
                return (total, (d1 * Double(s.n1) + d2 * Double(s.n2) + d3 * Double(s.n3)) / total)
            })
        }
        let contexts = perOrder.map(\.0), contextStats = perOrder.map(\.1)
        self.adjusted = adjusted
        self.discounts = discounts
        self.contexts = contexts
        self.contextStats = contextStats
        uniform = 1 / Double(counts.vocabularySize - 1)
    }

    /// " (KenLM's fallback discounts for the 4-, 5-grams)" when a fallback was used, else
    /// empty: for a table row that prints this model's perplexity.
    public var fallbackNote: String {
        fallbackOrders.isEmpty ? ""
            : " (KenLM's fallback discounts for the " + fallbackOrders.map(String.init).joined(separator: "-, ") + "-grams)"
    }

    /// Chen and Goodman's estimates from n[1] … n[4] (n[0] unused), each checked to lie in
    /// [0, j], as KenLM checks them. A discount that no n-gram of the order uses (D₁ with
    /// n₁ = 0, D₂ with n₂ = 0, D₃₊ with no count of 3 or more) is left at 0.5 without
    /// complaint (KenLM refuses those too); one that is used but cannot be estimated (D₃₊
    /// with n₃ = 0 while larger counts exist) is an error.
    static func estimatedDiscounts(countsOfCounts n: [Int], atLeastThree: Int, order k: Int) throws -> (Double, Double, Double) {
        func name(_ j: Int) -> String { j == 3 ? "D3+" : "D\(j)" }
        let used = [n[1] > 0, n[2] > 0, atLeastThree > 0]
        let y = Double(n[1]) / (Double(n[1]) + 2 * Double(n[2]))
        var d = [0.5, 0.5, 0.5]
        for j in 1...3 where used[j - 1] {
            guard n[j] > 0 else {
                throw KneserNeyDiscountError(
                    order: k, countsOfCounts: Array(n[1...4]),
                    problem: "\(name(j)) is 0/0: no \(k)-gram has adjusted count \(j), yet some have more")
            }
            d[j - 1] = Double(j) - Double(j + 1) * y * Double(n[j + 1]) / Double(n[j])
            guard d[j - 1] >= 0 && d[j - 1] <= Double(j) else {
                throw KneserNeyDiscountError(
                    order: k, countsOfCounts: Array(n[1...4]),
                    problem: String(format: "%@ = %.4f is outside [0, %d]", name(j), d[j - 1], j))
            }
        }
        return (d[0], d[1], d[2])
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

/// Fixed discounts for the orders whose estimates fail (KenLM's `--discount_fallback`).
public struct DiscountFallback: Sendable, Equatable {
    public var d1: Double, d2: Double, d3: Double

    /// KenLM's defaults: 0.5 for n-grams seen once, 1 twice, 1.5 three or more times.
    public static let kenLM = DiscountFallback(d1: 0.5, d2: 1, d3: 1.5)

    public init(d1: Double, d2: Double, d3: Double) {
        (self.d1, self.d2, self.d3) = (d1, d2, d3)
    }
}

/// The Kneser-Ney discounts of one order cannot be estimated from the training counts.
public struct KneserNeyDiscountError: Error, CustomStringConvertible, Equatable {
    /// The n of the n-grams whose discounts failed.
    public let order: Int
    /// n₁ … n₄: how many n-grams of that order have adjusted count 1, 2, 3, 4.
    public let countsOfCounts: [Int]
    public let problem: String

    public var description: String {
        let n = countsOfCounts.enumerated().map { "n\($0.offset + 1) = \($0.element)" }.joined(separator: ", ")
        return "Kneser-Ney: the \(order)-gram discounts cannot be estimated from this training text: \(problem) "
            + "(counts of adjusted counts: \(n)). Train on more text, use a lower order, or fall back to "
            + "KenLM's fixed discounts 0.5, 1, 1.5 for that order (--discount-fallback)."
    }
}
