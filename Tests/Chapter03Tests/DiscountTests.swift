import Foundation
import NGram
import TextData
import XCTest

/// Kneser-Ney discounts outside [0, j] are refused, naming the order and its counts of
/// counts, or replaced by KenLM's fallback discounts when asked. The counts of counts are
/// counted here from the sentences, with dictionaries, not by the model's tables.
final class KneserNeyDiscountTests: XCTestCase {
    /// n₁ … n₄ of the adjusted counts of order k in a model of order `top`: raw counts at
    /// the top order and for n-grams that start with <s>, else the number of different
    /// words seen before the n-gram.
    func countsOfCounts(_ corpus: IndexedCorpus, order k: Int, top: Int) -> [Int] {
        var raw: [[Int]: Int] = [:]
        var before: [[Int]: Set<Int>] = [:]
        for sentence in corpus.sentences {
            let line = [corpus.startID] + sentence + [corpus.endID]
            for start in 0..<line.count where start + k <= line.count {
                let gram = Array(line[start..<(start + k)])
                if k == 1 && gram[0] == corpus.startID { continue }  // a lone <s> is never predicted
                raw[gram, default: 0] += 1
                if start > 0 { before[gram, default: []].insert(line[start - 1]) }
            }
        }
        var n = [0, 0, 0, 0]
        for (gram, count) in raw {
            let adjusted = k == top || gram[0] == corpus.startID ? count : before[gram]!.count
            if (1...4).contains(adjusted) { n[adjusted - 1] += 1 }
        }
        return n
    }

    /// Chen and Goodman's D₃₊ = 3 − 4Y n₄/n₃ with Y = n₁/(n₁ + 2n₂).
    func d3(_ n: [Int]) -> Double {
        let y = Double(n[0]) / Double(n[0] + 2 * n[1])
        return 3 - 4 * y * Double(n[3]) / Double(n[2])
    }

    /// The case: the first 300 sentences of PTB train give the 5-gram model's
    /// 4-grams D₃₊ ≈ −0.35. Before, that gave negative probabilities, counted as zero, and
    /// an infinite perplexity; now it is refused, and falls back when asked.
    func testAnOutOfRangeDiscountIsRefusedNamingTheOrderAndTheCountsOfCounts() throws {
        guard let data = DataDirectory.sharedIfPresent() else {
            throw XCTSkip("../shared/data is absent (a fresh clone): the Penn Treebank discount check is skipped")
        }
        let lines = try readTokenizedLines(data.ptbTrain).prefix(300)
        let vocabulary = Vocabulary(counting: lines.joined(), specials: [SentenceMarks.start, SentenceMarks.end])
        let corpus = IndexedCorpus(sentences: Array(lines), vocabulary: vocabulary)
        let n4 = countsOfCounts(corpus, order: 4, top: 5)
        XCTAssertLessThan(d3(n4), 0, "the 4-grams' D3+ by hand from \(n4)")
        let counts = NGramCounts(corpus, order: 5)
        XCTAssertThrowsError(try KneserNeyModel(counts, order: 5)) { error in
            guard let error = error as? KneserNeyDiscountError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.order, 4)
            XCTAssertEqual(error.countsOfCounts, n4)
            XCTAssertTrue(error.description.contains("4-gram") && error.description.contains("n4 = \(n4[3])"), error.description)
            XCTAssertTrue(error.problem.contains(String(format: "%.4f", d3(n4))), error.problem)
        }

        let model = try KneserNeyModel(counts, order: 5, fallback: .kenLM)
        XCTAssertEqual(model.fallbackOrders, [4])
        XCTAssertEqual(model.discounts[3].0, 0.5)
        XCTAssertEqual(model.discounts[3].1, 1)
        XCTAssertEqual(model.discounts[3].2, 1.5)
        // A proper distribution again after contexts of the text: no negative probability,
        // sums to 1.
        for sentence in corpus.sentences.prefix(20) {
            let context = ([corpus.startID] + sentence).suffix(4)
            var total = 0.0
            for id in 0..<counts.vocabularySize where id != corpus.startID {
                let p = model.probability(of: id, after: context[...])!
                XCTAssertGreaterThanOrEqual(p, 0)
                total += p
            }
            XCTAssertEqual(total, 1, accuracy: 1e-9)
        }
        let test = try IndexedCorpus(data.ptbTest, vocabulary: vocabulary)
        XCTAssertTrue(perplexity(of: model, on: Array(test.sentences.prefix(200))).perplexity.isFinite)
    }

    /// Without the Penn Treebank: the bundled sample (77 made-up words) gives its 1-grams a
    /// D₂ below zero in a bigram model. The counts of counts in the error are the ones
    /// counted here.
    func testTheSmallSampleIsRefusedAtItsUnigramsAndFallsBackWhenAsked() throws {
        let corpus = try IndexedCorpus(SampleData.url("lm-sample.train.txt"))
        let n1 = countsOfCounts(corpus, order: 1, top: 2)
        let y = Double(n1[0]) / Double(n1[0] + 2 * n1[1])
        let d2 = 2 - 3 * y * Double(n1[2]) / Double(n1[1])
        XCTAssertLessThan(d2, 0, "D2 of the unigrams by hand from \(n1)")
        let counts = NGramCounts(corpus, order: 2)
        XCTAssertThrowsError(try KneserNeyModel(counts)) { error in
            guard let error = error as? KneserNeyDiscountError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.order, 1)
            XCTAssertEqual(error.countsOfCounts, n1)
        }
        let model = try KneserNeyModel(counts, fallback: .kenLM)
        XCTAssertEqual(model.fallbackOrders, [1])
        XCTAssertTrue(model.fallbackNote.contains("1-grams"), model.fallbackNote)
    }

    /// A discount that no n-gram of its order uses is not an error (the worked example's
    /// unigrams have n₃ = 0 and no count above 2, so D₃₊ is never needed); one that is used
    /// but is 0/0 is.
    func testOnlyDiscountsInUseMustBeEstimable() throws {
        func model(_ sentences: [[String]], order: Int) throws -> KneserNeyModel {
            let vocabulary = Vocabulary(counting: sentences.joined(), specials: [SentenceMarks.start, SentenceMarks.end])
            return try KneserNeyModel(NGramCounts(IndexedCorpus(sentences: sentences, vocabulary: vocabulary), order: order))
        }
        XCTAssertNoThrow(try model([["a"], ["a"], ["b", "a"]], order: 2))
        // Top-order bigrams: <s> a ×4, a </s> ×4, <s> b ×1, b </s> ×1 → n₁ = 2, n₂ = n₃ = 0,
        // and two bigrams seen 4 times: D₂ is unused, D₃₊ is used but 0/0.
        XCTAssertThrowsError(try model([["a"], ["a"], ["a"], ["a"], ["b"]], order: 2)) { error in
            guard let error = error as? KneserNeyDiscountError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.order, 2)
            XCTAssertEqual(error.countsOfCounts, [2, 0, 0, 2])
            XCTAssertTrue(error.problem.contains("D3+ is 0/0"), error.problem)
        }
    }
}
