import Foundation
import NGram
import TextData
import XCTest

/// Claim: backoff trusts the longest context that has seen the word, and an unseen word
/// (or an unseen context) falls back to the shorter context, scaled by α.
final class BackoffClaimTests: XCTestCase {
    /// The bigram backoff model by hand on three sentences: "a", "a", "b a".
    ///
    /// Vocabulary: ⟨unk⟩, ⟨s⟩, ⟨/s⟩, a, b; the model predicts the 4 that are not ⟨s⟩, so the
    /// uniform floor is 1/4.
    ///
    /// Unigram counts (predicted tokens): a 3, b 1, ⟨/s⟩ 3; total 7, 3 types.
    /// D₁ = n₁/(n₁ + 2n₂) = 1/(1 + 0) = 1 (one count of 1: b; none of 2).
    /// Left-over unigram mass D₁ · 3 types / 7 = 3/7, spread uniformly: 3/28 each.
    ///   P(a) = (3 − 1)/7 + 3/28 = 11/28,  P(⟨/s⟩) = 11/28,  P(b) = 0/7 + 3/28 = 3/28,
    ///   P(⟨unk⟩) = 3/28  (sum 28/28).
    ///
    /// Bigram counts: (⟨s⟩ a) 2, (⟨s⟩ b) 1, (a ⟨/s⟩) 3, (b a) 1: n₁ = 2, n₂ = 1, so
    /// D₂ = 2/(2 + 2) = 1/2.
    ///
    /// Context a (c = 3, seen: ⟨/s⟩ only, 1 type):
    ///   P(⟨/s⟩ | a) = (3 − ½)/3 = 5/6
    ///   α(a) = (D₂ · 1/3) / (1 − P(⟨/s⟩)) = (1/6) / (17/28) = 14/51
    ///   P(b | a) = α(a) · P(b) = 14/51 · 3/28 = 1/34      (unseen word: backs off)
    ///   P(a | a) = 14/51 · 11/28 = 11/102
    /// Context ⟨s⟩ (c = 3, seen a and b, 2 types):
    ///   P(a | ⟨s⟩) = 1.5/3 = 1/2,  P(b | ⟨s⟩) = 0.5/3 = 1/6
    ///   α(⟨s⟩) = (½ · 2/3) / (1 − 11/28 − 3/28) = (1/3)/(1/2) = 2/3
    ///   P(⟨/s⟩ | ⟨s⟩) = 2/3 · 11/28 = 11/42,  P(⟨unk⟩ | ⟨s⟩) = 2/3 · 3/28 = 1/14
    /// Context b (c = 1, seen a):
    ///   P(a | b) = ½/1 = 1/2,  α(b) = (½ · 1/1)/(1 − 11/28) = 14/17
    ///   P(⟨/s⟩ | b) = 14/17 · 11/28 = 11/34
    /// Context ⟨unk⟩ never occurs: α = 1, the unigram itself: P(a | ⟨unk⟩) = 11/28.
    func testUnseenWordsAndContextsBackOffWithAlphaByHand() {
        let sentences = [["a"], ["a"], ["b", "a"]]
        let vocabulary = Vocabulary(counting: sentences.joined(), specials: [SentenceMarks.start, SentenceMarks.end])
        let corpus = IndexedCorpus(sentences: sentences, vocabulary: vocabulary)
        XCTAssertEqual(vocabulary.count, 5)
        let model = BackoffModel(NGramCounts(corpus, order: 2))
        let (s, e, a, b, unk) = (corpus.startID, corpus.endID, vocabulary.id("a"), vocabulary.id("b"), vocabulary.unknownID)
        func p(_ w: Int, _ h: [Int]) -> Double { model.probability(of: w, after: h[...])! }
        let accuracy = 1e-12
        // the unigram level
        XCTAssertEqual(p(a, []), 11.0 / 28, accuracy: accuracy)
        XCTAssertEqual(p(b, []), 3.0 / 28, accuracy: accuracy)
        XCTAssertEqual(p(e, []), 11.0 / 28, accuracy: accuracy)
        XCTAssertEqual(p(unk, []), 3.0 / 28, accuracy: accuracy)
        // seen bigrams: discounted relative frequency
        XCTAssertEqual(p(e, [a]), 5.0 / 6, accuracy: accuracy)
        XCTAssertEqual(p(a, [s]), 1.0 / 2, accuracy: accuracy)
        XCTAssertEqual(p(b, [s]), 1.0 / 6, accuracy: accuracy)
        XCTAssertEqual(p(a, [b]), 1.0 / 2, accuracy: accuracy)
        // unseen words: α(h) · P(w) with α by hand
        XCTAssertEqual(p(b, [a]), 14.0 / 51 * 3.0 / 28, accuracy: accuracy)
        XCTAssertEqual(p(b, [a]), 1.0 / 34, accuracy: accuracy)
        XCTAssertEqual(p(a, [a]), 11.0 / 102, accuracy: accuracy)
        XCTAssertEqual(p(e, [s]), 2.0 / 3 * 11.0 / 28, accuracy: accuracy)
        XCTAssertEqual(p(unk, [s]), 1.0 / 14, accuracy: accuracy)
        XCTAssertEqual(p(e, [b]), 14.0 / 17 * 11.0 / 28, accuracy: accuracy)
        // an unseen context: the shorter context's distribution unchanged (α = 1)
        for w in [unk, e, a, b] { XCTAssertEqual(p(w, [unk]), p(w, []), accuracy: accuracy) }
        XCTAssertEqual(p(a, [unk]), 11.0 / 28, accuracy: accuracy)
        // each context's hand values sum to one
        XCTAssertEqual(5.0 / 6 + 14.0 / 51 * (11.0 + 3 + 3) / 28, 1, accuracy: accuracy)
        XCTAssertEqual(1.0 / 2 + 1.0 / 6 + 11.0 / 42 + 1.0 / 14, 1, accuracy: accuracy)
    }
}
