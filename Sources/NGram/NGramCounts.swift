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
        var tables = (1...order).map { n in NGramTable(minimumCapacity: n == 1 ? vocabularySize : tokenBound) }
        var tokens = 0
        var line: [Int] = []
        for sentence in sentences {
            line.removeAll(keepingCapacity: true)
            line.append(startID)
            line.append(contentsOf: sentence)
            line.append(endID)
            tokens += sentence.count + 1
            for end in 1...line.count {
                // the n-grams ending at `end`, shortest first; the key keeps the first
                // word in its high bits, as `key(_:)` does
                var key: UInt128 = 0
                for n in 1...min(order, end) {
                    key |= UInt128(line[end - n]) << UInt128(bits * (n - 1))
                    // a lone <s> is not an event: it is never predicted
                    if n == 1 && line[end - 1] == startID { continue }
                    tables[n - 1].add(key, 1)
                }
            }
        }
        self.tables = tables
        self.tokenCount = tokens
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
