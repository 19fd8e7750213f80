import Foundation
import NGram
import TextData
import XCTest
@testable import Chapter03

/// The claims Chapter 3 prints, checked independently.
final class Chapter03Tests: XCTestCase {
    static let sample = try! IndexedCorpus(SampleData.url("lm-sample.train.txt"))

    /// The orders are counted on separate cores, in groups: every order of 1 … 7 must still
    /// hold exactly the n-grams a plain dictionary count finds, with the same counts.
    func testCountsEqualADictionaryCountAtEveryOrder() {
        var state: UInt64 = 7  // a fixed pseudo-random text: sentences of 0 … 11 words over ids 2 … 7
        func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % n
        }
        let (start, end) = (0, 1)
        let sentences = (0..<300).map { _ in (0..<next(12)).map { _ in 2 + next(6) } }
        for order in 1...7 {
            let counts = NGramCounts(sentences: sentences, order: order, vocabularySize: 8, startID: start, endID: end)
            var expected: [[Int]: Int] = [:]
            for sentence in sentences {
                let line = [start] + sentence + [end]
                for n in 1...order where n <= line.count {
                    for i in 0...(line.count - n) where !(n == 1 && line[i] == start) { expected[Array(line[i..<(i + n)]), default: 0] += 1 }
                }
            }
            for n in 1...order {
                XCTAssertEqual(counts.distinct(order: n), expected.keys.filter { $0.count == n }.count, "order \(order), \(n)-grams")
            }
            for (gram, count) in expected where counts.count(gram) != count {
                XCTFail("order \(order): \(gram) counted \(counts.count(gram)), expected \(count)")
            }
        }
    }

    func testTheSlidesCountsGive0Point4And0Point1() {
        let corpus = slidesCorpus()
        let v = corpus.vocabulary
        let counts = NGramCounts(corpus, order: 4)
        let context = ["students", "opened", "their"].map(v.id)
        XCTAssertEqual(counts.count(context), 1000)
        XCTAssertEqual(counts.count(context + [v.id("books")]), 400)
        XCTAssertEqual(counts.count(context + [v.id("exams")]), 100)
        let model = MaximumLikelihoodModel(counts, order: 4)
        XCTAssertEqual(model.probability(of: v.id("books"), after: context[...]), 400.0 / 1000.0)
        XCTAssertEqual(model.probability(of: v.id("exams"), after: context[...]), 100.0 / 1000.0)
        // an unseen word after a seen context: 0; an unseen context: no distribution
        XCTAssertEqual(model.probability(of: v.id("students"), after: context[...]), 0)
        XCTAssertNil(model.probability(of: v.id("books"), after: [v.id("their"), v.id("opened"), v.id("students")][...]))
    }

    /// Every distribution sums to 1 over the WHOLE vocabulary, `<s>` included (every id
    /// 0..<|V|, summed word by word), after a seen context, an unseen one, and the start of
    /// a sentence: add-δ, backoff, Kneser-Ney, and maximum likelihood wherever it defines
    /// one (a seen context). `<s>` is never predicted, so each model gives it 0. (Summing
    /// over the words other than `<s>` hid that add-δ gave `<s>` a probability δ/(c(h) +
    /// δ(|V| − 1)), so its distributions summed above 1.)
    func testSmoothedDistributionsSumToOne() throws {
        let corpus = Self.sample
        let v = corpus.vocabulary
        let counts = NGramCounts(corpus, order: 5)
        let contexts: [[Int]] = [
            ["today", "the"].map(v.id),                             // seen
            ["students", "opened", "their"].map(v.id),              // seen, longer
            ["exams", "today", "market", "opened"].map(v.id),       // never seen
            [corpus.startID],                                       // sentence start
            [corpus.startID, v.id("today")],
        ]
        for n in [2, 3, 5] {
            let models: [any LanguageModel] = [
                AddDeltaModel(counts, order: n, delta: 0.1), BackoffModel(counts, order: n),
                // the sample is too small for estimated discounts at its low orders
                try KneserNeyModel(counts, order: n, fallback: .kenLM),
            ]
            for model in models {
                for context in contexts {
                    var total = 0.0
                    for id in 0..<counts.vocabularySize {
                        total += model.probability(of: id, after: context[...])!
                    }
                    XCTAssertEqual(total, 1, accuracy: 1e-9, "\(type(of: model)) order \(n) after \(context.map(v.word))")
                    XCTAssertEqual(model.probability(of: corpus.startID, after: context[...]), 0, "\(type(of: model)): P(<s>)")
                }
            }
            // maximum likelihood: a distribution only after a seen context
            let mle = MaximumLikelihoodModel(counts, order: n)
            var defined = 0
            for context in contexts {
                guard mle.probability(of: corpus.endID, after: context[...]) != nil else { continue }
                defined += 1
                let total = (0..<counts.vocabularySize).reduce(0.0) { $0 + mle.probability(of: $1, after: context[...])! }
                XCTAssertEqual(total, 1, accuracy: 1e-9, "MLE order \(n) after \(context.map(v.word))")
                XCTAssertEqual(mle.probability(of: corpus.startID, after: context[...]), 0)
            }
            XCTAssertGreaterThanOrEqual(defined, 2, "MLE order \(n): the seen contexts")
        }
    }

    func testPerplexityIsExpOfMeanNegativeLogLikelihood() throws {
        let test = try IndexedCorpus(SampleData.url("lm-sample.test.txt"), vocabulary: Self.sample.vocabulary)
        let model = try KneserNeyModel(NGramCounts(Self.sample, order: 3), fallback: .kenLM)
        // the mean negative log-likelihood, summed here token by token
        var nll = 0.0, tokens = 0
        for sentence in test.sentences {
            var history = [test.startID]
            for word in sentence + [test.endID] {
                nll -= log(model.probability(of: word, after: history.suffix(2))!)
                tokens += 1
                history.append(word)
            }
        }
        let result = perplexity(of: model, on: test.sentences)
        XCTAssertEqual(tokens, test.predictedTokenCount)
        XCTAssertEqual(result.tokens, tokens)
        XCTAssertEqual(result.perplexity, exp(nll / Double(tokens)), accuracy: 1e-9)
    }

    /// Modified Kneser-Ney on a three-sentence corpus, worked out by hand.
    ///
    /// Sentences "a", "a", "b a" give the bigrams ⟨s⟩ a ×2, a ⟨/s⟩ ×3, ⟨s⟩ b ×1, b a ×1.
    /// Bigram count-of-counts n₁…n₄ = 2, 1, 1, 0, so Y = 2/4 and D₁ = 0.5, D₂ = 0.5, D₃₊ = 3.
    /// Unigram continuation counts: a 2 (after ⟨s⟩ and b), b 1, ⟨/s⟩ 1; n₁ = 2, n₂ = 1, so
    /// Y = 0.5, D₁ = 0.5, D₂ = 2. Unigram level: total 4, γ = (0.5·2 + 2·1)/4 = 0.75, and
    /// the uniform part is 1/4 (⟨unk⟩, ⟨/s⟩, a, b):
    ///   P(a) = (2 − 2)/4 + 0.75/4 = 0.1875,  P(b) = P(⟨/s⟩) = 0.5/4 + 0.1875 = 0.3125.
    /// After ⟨s⟩ (total 3, γ = (0.5 + 0.5)/3):  P(a | ⟨s⟩) = 1.5/3 + 0.1875/3 = 0.5625,
    ///   P(b | ⟨s⟩) = 0.5/3 + 0.3125/3.
    /// After a (total 3, γ = 3/3):  P(⟨/s⟩ | a) = 0/3 + 0.3125, P(b | a) = 0.3125.
    /// After b (total 1, γ = 0.5):  P(a | b) = 0.5 + 0.5 · 0.1875 = 0.59375.
    func testKneserNeyWorkedByHand() throws {
        let sentences = [["a"], ["a"], ["b", "a"]]
        let vocabulary = Vocabulary(counting: sentences.joined(), specials: [SentenceMarks.start, SentenceMarks.end])
        let corpus = IndexedCorpus(sentences: sentences, vocabulary: vocabulary)
        let model = try KneserNeyModel(NGramCounts(corpus, order: 2))
        let (s, e, a, b) = (corpus.startID, corpus.endID, vocabulary.id("a"), vocabulary.id("b"))
        XCTAssertEqual(model.discounts[1].0, 0.5, accuracy: 1e-12)
        XCTAssertEqual(model.discounts[1].1, 0.5, accuracy: 1e-12)
        XCTAssertEqual(model.discounts[1].2, 3, accuracy: 1e-12)
        XCTAssertEqual(model.discounts[0].1, 2, accuracy: 1e-12)
        XCTAssertEqual(model.probability(of: a, after: [][...])!, 0.1875, accuracy: 1e-12)
        XCTAssertEqual(model.probability(of: b, after: [][...])!, 0.3125, accuracy: 1e-12)
        XCTAssertEqual(model.probability(of: a, after: [s][...])!, 0.5625, accuracy: 1e-12)
        XCTAssertEqual(model.probability(of: b, after: [s][...])!, 0.5 / 3 + 0.3125 / 3, accuracy: 1e-12)
        XCTAssertEqual(model.probability(of: e, after: [a][...])!, 0.3125, accuracy: 1e-12)
        XCTAssertEqual(model.probability(of: b, after: [a][...])!, 0.3125, accuracy: 1e-12)
        XCTAssertEqual(model.probability(of: a, after: [b][...])!, 0.59375, accuracy: 1e-12)
        XCTAssertEqual(model.probability(of: s, after: [a][...])!, 0)  // <s> is never predicted
    }

    /// Add-δ by hand on the same three sentences, δ = 0.5, |V| = 4 predicted words
    /// (⟨unk⟩, ⟨/s⟩, a, b). Bigrams: count(⟨s⟩ a) = 2, count(⟨s⟩ b) = 1, count(a ⟨/s⟩) = 3,
    /// count(b a) = 1. P(a | ⟨s⟩) = (2 + 0.5)/(3 + 2) = 0.5; P(b | a) = 0.5/(3 + 2) = 0.1;
    /// P(a | b) = 1.5/(1 + 2) = 0.5. Unigrams (7 predicted tokens: 3 a, 1 b, 3 ⟨/s⟩):
    /// P(a) = 3.5/(7 + 2); P(⟨unk⟩) = 0.5/9.
    func testAddDeltaByHand() {
        let sentences = [["a"], ["a"], ["b", "a"]]
        let vocabulary = Vocabulary(counting: sentences.joined(), specials: [SentenceMarks.start, SentenceMarks.end])
        let corpus = IndexedCorpus(sentences: sentences, vocabulary: vocabulary)
        let counts = NGramCounts(corpus, order: 2)
        let bigram = AddDeltaModel(counts, order: 2, delta: 0.5), unigram = AddDeltaModel(counts, order: 1, delta: 0.5)
        let (s, a, b) = (corpus.startID, vocabulary.id("a"), vocabulary.id("b"))
        XCTAssertEqual(bigram.probability(of: a, after: [s][...])!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(bigram.probability(of: b, after: [a][...])!, 0.1, accuracy: 1e-12)
        XCTAssertEqual(bigram.probability(of: a, after: [b][...])!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(unigram.probability(of: a, after: [][...])!, 3.5 / 9, accuracy: 1e-12)
        XCTAssertEqual(unigram.probability(of: vocabulary.unknownID, after: [][...])!, 0.5 / 9, accuracy: 1e-12)
    }

    // BEGIN HIDDEN TESTS
    /// Add-δ gives every context a distribution over the whole vocabulary (`<s>` included,
    /// with probability 0: it is never predicted) that sums to one, for several δ and both
    /// orders, on the bundled sample.
    func testAddDeltaDistributionsSumToOne() {
        let corpus = Self.sample
        let counts = NGramCounts(corpus, order: 3)
        let predicted = Array(0..<corpus.vocabulary.count)
        for delta in [0.01, 0.5, 2.0] {
            for order in 1...3 {
                let model = AddDeltaModel(counts, order: order, delta: delta)
                for context in [[corpus.startID, corpus.startID], [corpus.startID, 5], [7, 9]] {
                    let total = predicted.reduce(0.0) { $0 + model.probability(of: $1, after: context[...])! }
                    XCTAssertEqual(total, 1, accuracy: 1e-9, "δ = \(delta), order \(order), context \(context)")
                }
            }
        }
    }
    // END HIDDEN TESTS

    /// On the Penn Treebank (always present in CI): 82,430 predicted test tokens, and the
    /// modified Kneser-Ney models agree with KenLM to within 1%.
    func testPennTreebankKneserNeyAgreesWithKenLM() throws {
        guard let data = DataDirectory.sharedIfPresent() else {
            throw XCTSkip("../shared/data is absent (a fresh clone): the Penn Treebank checks are skipped")
        }
        let train = try IndexedCorpus(data.ptbTrain)
        let test = try IndexedCorpus(data.ptbTest, vocabulary: train.vocabulary)
        XCTAssertEqual(test.predictedTokenCount, 82_430)
        XCTAssertEqual(train.vocabulary.count, 10_001)  // 9,999 word types (with <unk>) + <s> + </s>
        let counts = NGramCounts(train, order: 5)
        // BEGIN GENERATED by KenLM 0.3.0 (PyPI sdist), built here: `<unk>` renamed to an
        // ordinary token in train and test (lmplz refuses a literal <unk>), then
        //   lmplz -o N < ptb.train.txt > N.arpa;  query -v summary N.arpa < ptb.test.txt
        let kenLM: [Int: Double] = [2: 185.7048931511453, 3: 148.2814995024931, 4: 142.71560595161773, 5: 141.1862070921484]
        // END GENERATED
        for (n, reference) in kenLM {
            let ours = perplexity(of: try KneserNeyModel(counts, order: n), on: test.sentences).perplexity
            XCTAssertEqual(ours, reference, accuracy: reference * 0.01, "Kneser-Ney \(n)-gram")
        }
    }
}
