import TextData

/// Counts of every n-gram of orders 1…N in a corpus, with sentence marks as the standard
/// tools place them: each sentence is read as `<s> w₁ … w_k </s>`, and an n-gram is any
/// run of n consecutive tokens of that line (so `<s>` only ever starts an n-gram and
/// `</s>` only ever ends one).
///
/// An n-gram is stored as one 128-bit key, its ids packed `bits` bits apiece, in one
/// hash table per order.
public struct NGramCounts: Sendable {
    public let order: Int
    /// The number of word ids (the vocabulary, `<s>` and `</s>` included).
    public let vocabularySize: Int
    public let startID: Int
    public let endID: Int
    let bits: Int
    /// tables[k - 1]: the raw count of every k-gram seen.
    let tables: [NGramTable]
    /// The number of predicted tokens counted (words plus one `</s>` per sentence).
    public let tokenCount: Int

    public init(_ corpus: IndexedCorpus, order: Int) {
        self.init(sentences: corpus.sentences, order: order, vocabularySize: corpus.vocabulary.count,
                  startID: corpus.startID, endID: corpus.endID)
    }

    /// The highest order whose n-grams fit one key: 128 bits over the bits of one id.
    public static func maximumOrder(vocabularySize: Int) -> Int {
        128 / max(1, Int.bitWidth - (vocabularySize - 1).leadingZeroBitCount)
    }

    public init(sentences: [[Int]], order: Int, vocabularySize: Int, startID: Int, endID: Int) {
        let bits = max(1, Int.bitWidth - (vocabularySize - 1).leadingZeroBitCount)
        precondition(order >= 1 && order * bits <= 128,
                     "NGramCounts: order \(order) with \(vocabularySize) ids does not fit a 128-bit key")
        self.order = order
        self.vocabularySize = vocabularySize
        self.startID = startID
        self.endID = endID
        self.bits = bits
        // Room for every distinct n-gram from the start: at most one per token (and at most
        // one per id for unigrams), so the tables never have to grow while counting.
        let tokenBound = sentences.reduce(0) { $0 + $1.count + 2 }
        // Each order has its own table, filled by one core in the same order as a single
        // loop would: the orders are shared out between the cores (the longest first, the
        // short ones, with fewer distinct n-grams, beside them), and every table comes out
        // the same as counted in turn.
        let groups = Self.orderGroups(order)
        let counted = onEveryCore(groups.count) { g in
            Self.count(orders: groups[g], sentences: sentences, bits: bits, startID: startID, endID: endID,
                       capacity: { $0 == 1 ? vocabularySize : tokenBound })
        }
        var tables = [NGramTable](repeating: NGramTable(), count: order)
        for (group, groupTables) in zip(groups, counted) {
            for (n, table) in zip(group, groupTables) { tables[n - 1] = table }
        }
        let tokens = sentences.reduce(0) { $0 + $1.count + 1 }
        self.tables = tables
        self.tokenCount = tokens
    }

    /// Orders 1…N in two groups of about equal work, each counted on its own core:
    /// N, N − 3, N − 4, … and N − 1, N − 2 (for N = 5: {5, 2, 1} and {4, 3}).
    static func orderGroups(_ order: Int) -> [[Int]] {
        guard order > 2 else { return [Array((1...order).reversed())] }
        return [[order] + Array(stride(from: order - 3, through: 1, by: -1)), [order - 1, order - 2]]
    }

    /// The tables of `orders`: every n-gram of those orders in `sentences`, each read as
    /// `<s> w₁ … w_k </s>`.
    static func count(orders: [Int], sentences: [[Int]], bits: Int, startID: Int, endID: Int,
                      capacity: (Int) -> Int) -> [NGramTable] {
        var tables = orders.map { NGramTable(minimumCapacity: capacity($0)) }
        var slot = [Int](repeating: -1, count: (orders.max() ?? 0) + 1)
        for (i, n) in orders.enumerated() { slot[n] = i }
        let longest = orders.max() ?? 0
        var line: [Int] = []
        for sentence in sentences {
            line.removeAll(keepingCapacity: true)
            line.append(startID)
            line.append(contentsOf: sentence)
            line.append(endID)
            for end in 1...line.count {
                // the n-grams ending at `end`, shortest first; the key keeps the first
                // word in its high bits, as `key(_:)` does
                var key: UInt128 = 0
                for n in 1...min(longest, end) {
                    key |= UInt128(line[end - n]) << UInt128(bits * (n - 1))
                    // a lone <s> is not an event: it is never predicted
                    if slot[n] < 0 || (n == 1 && line[end - 1] == startID) { continue }
                    tables[slot[n]].add(key, 1)
                }
            }
        }
        return tables
    }

    /// The count of an n-gram (0 when unseen or longer than `order`).
    public func count(_ ngram: [Int]) -> Int {
        guard !ngram.isEmpty, ngram.count <= order else { return 0 }
        return tables[ngram.count - 1][key(ngram)] ?? 0
    }

    /// The number of distinct k-grams seen.
    public func distinct(order k: Int) -> Int { tables[k - 1].count }

    func key<C: Collection>(_ ids: C) -> UInt128 where C.Element == Int {
        var key: UInt128 = 0
        for id in ids { key = key << UInt128(bits) | UInt128(id) }
        return key
    }

    /// The ids of a k-gram key, first word first.
    func ids(_ key: UInt128, order k: Int) -> [Int] {
        let mask = (UInt128(1) << UInt128(bits)) - 1
        return (0..<k).map { i in Int((key >> UInt128(bits * (k - 1 - i))) & mask) }
    }

    /// Every k-gram with its count.
    func grams(order k: Int) -> NGramTable { tables[k - 1] }

    /// The key of the context (first k − 1 ids) and the last id of a k-gram key.
    @inline(__always)
    func split(_ key: UInt128) -> (context: UInt128, word: Int) {
        (key >> UInt128(bits), Int(key & ((UInt128(1) << UInt128(bits)) - 1)))
    }

    /// The key of a k-gram without its first word (its suffix of k − 1 words).
    @inline(__always)
    func dropFirst(_ key: UInt128, order k: Int) -> UInt128 {
        key & ((UInt128(1) << UInt128(bits * (k - 1))) - 1)
    }

    /// The first id of a k-gram key.
    @inline(__always)
    func first(_ key: UInt128, order k: Int) -> Int { Int(key >> UInt128(bits * (k - 1))) }
}
