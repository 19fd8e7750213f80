import Classifiers
import Foundation
import NeuralKit
import TextData
import XCTest
@testable import Chapter09

/// The BiLSTM-CRF tagger: its gradient through the CRF and both LSTMs, its batched loss
/// against sentences alone, and its decoders against brute force over every tag sequence.
final class CRFTaggerTests: XCTestCase {
    /// Two types, so five IOB2 tags: B-LOC, B-PER, I-LOC, I-PER, O.
    func tinyData() -> (TaggingFeatures, [TaggedSentence]) {
        let words = [["Paris", "is", "lovely"], ["John", "Smith", "met", "Mary"], ["New", "York", "is", "big"]]
        let tags = [["I-LOC", "O", "O"], ["I-PER", "I-PER", "O", "I-PER"], ["I-LOC", "I-LOC", "O", "O"]]  // IOB1, as CoNLL-2003
        let sentences = zip(words, tags).map { zip($0, $1).map { TaggedToken(word: $0, tag: $1) } }
        return (TaggingFeatures(training: sentences, minimumCount: 1), sentences)
    }

    /// IOB2 written out independently: I-X only right after B-X or I-X.
    func wellFormed(_ tags: [String]) -> Bool {
        tags.indices.allSatisfy { t in
            guard tags[t].hasPrefix("I-") else { return true }
            return t > 0 && tags[t - 1] != "O" && tags[t - 1].dropFirst(2) == tags[t].dropFirst(2)
        }
    }

    func testFeaturesReadIOB1AsIOB2() {
        let (features, sentences) = tinyData()
        XCTAssertEqual(features.tags, ["B-LOC", "B-PER", "I-LOC", "I-PER", "O"])
        XCTAssertEqual(features.encode(sentences[1]).tags.map { features.tags[$0] }, ["B-PER", "I-PER", "O", "B-PER"])
        // the rule, checked against the independent one for every pair
        for i in 0..<5 {
            XCTAssertEqual(features.allowed(nil, i), wellFormed([features.tags[i]]), features.tags[i])
            // an I-X first is opened by a B-X, so that only the pair's own transition is judged
            let lead = features.tags[i].hasPrefix("I-") ? ["B-" + features.tags[i].dropFirst(2)] : []
            for j in 0..<5 {
                XCTAssertEqual(features.allowed(i, j), wellFormed(lead + [features.tags[i], features.tags[j]]),
                               "\(features.tags[i]) \(features.tags[j])")
            }
        }
    }

    /// Finite differences through everything the CRF tagger learns: the four embedding
    /// tables, both LSTMs, the output layer and the transition, start and end scores.
    func testCRFTaggerGradientCheck() {
        let (features, sentences) = tinyData()
        var g = SeededGenerator(seed: 12)
        let tagger = RecurrentTagger<Double>(features: features, wordSize: 3, affixSize: 2, hiddenSize: 3, bidirectional: true,
                                             crf: true, dropout: 0, name: "tagger", using: &g)
        for p in tagger.parameters { p.value = .uniform(p.shape, bound: 0.7, using: &g) }
        let batch = [sentences[1], sentences[2]].map(features.encode)  // two sentences of 4 words
        let result = gradientCheck(tagger.parameters) { tape in
            var unused = SeededGenerator(seed: 0)
            return tagger.loss(batch, on: tape, using: &unused)
        }
        XCTAssertEqual(result.errors.count, 4 + 3 + 3 + 2 + 3)
        XCTAssertLessThan(result.maxRelativeError, 1e-6, "\(result)")
    }

    /// The batch's loss is the per-word mean of each sentence's −log p(gold) computed alone,
    /// from its own scores: the time-major rows t·B + i belong to sentence i.
    func testBatchedCRFLossEqualsSentencesAlone() {
        let (features, sentences) = tinyData()
        var g = SeededGenerator(seed: 13)
        let tagger = RecurrentTagger<Double>(features: features, wordSize: 3, hiddenSize: 4, bidirectional: true,
                                             crf: true, dropout: 0, name: "tagger", using: &g)
        for p in tagger.parameters { p.value = .uniform(p.shape, bound: 0.5, using: &g) }
        let batch = [sentences[1], sentences[2]].map(features.encode)
        let together = tagger.loss(batch, on: Tape<Double>(), using: &g).value.scalar
        let alone = batch.map { sentence in
            let emissions = tagger.logits([sentence], on: Tape<Double>(), using: &g).value
            return tagger.crf!.logPartition(emissions) - tagger.crf!.score(emissions, tags: sentence.tags)
        }
        XCTAssertEqual(together, alone.reduce(0, +) / 8, accuracy: 1e-12)
    }

    /// Every sequence of `steps` tags out of `k`.
    func allSequences(_ steps: Int, _ k: Int) -> [[Int]] {
        (0..<steps).reduce([[]]) { partial, _ in partial.flatMap { prefix in (0..<k).map { prefix + [$0] } } }
    }

    /// Both sequence decoders return the brute-force best among the 153 of the 5⁴ = 625
    /// sequences of a 4-word sentence that are well formed: the softmax tagger's by Σ log p,
    /// the CRF tagger's by emissions plus transitions.
    func testDecodersEqualBruteForceOverWellFormedSequences() {
        let (features, sentences) = tinyData()
        let sentence = features.encode(sentences[1])
        for seed: UInt64 in 1...4 {
            for crf in [false, true] {
                var g = SeededGenerator(seed: seed)
                let tagger = RecurrentTagger<Float>(features: features, wordSize: 3, hiddenSize: 4, bidirectional: true,
                                                    crf: crf, dropout: 0, name: "tagger", using: &g)
                // large random weights, so that the scores favour broken sequences often
                for p in tagger.parameters { p.value = .uniform(p.shape, bound: 2, using: &g) }
                let scores = tagger.logits([sentence], on: Tape<Float>(), using: &g).value
                let e = (0..<4).map { scores.row($0).map(Double.init) }
                func score(_ y: [Int]) -> Double {
                    if let crf = tagger.crf {
                        let a = crf.transitions.value.scalars.map(Double.init)
                        return Double(crf.start.value.scalars[y[0]]) + Double(crf.end.value.scalars[y[3]])
                            + (0..<4).reduce(0) { $0 + e[$1][y[$1]] } + (1..<4).reduce(0) { $0 + a[y[$1 - 1] * 5 + y[$1]] }
                    }
                    return (0..<4).reduce(0) { total, t in total + e[t][y[t]] - Foundation.log(e[t].reduce(0) { $0 + Foundation.exp($1) }) }
                }
                let legal = allSequences(4, 5).filter { wellFormed($0.map { features.tags[$0] }) }
                // by hand: after O (or at the start) 3 tags may follow, inside an entity 4, so
                // (out, in) goes (1, 2) → (3, 8) → (11, 30) → (41, 112): 153 sequences
                XCTAssertEqual(legal.count, 153)
                let best = legal.max { score($0) < score($1) }!.map { features.tags[$0] }
                let decoded = predictTags(tagger, [sentence], features: features, decoding: crf ? .crf : .wellFormed)[0]
                XCTAssertEqual(decoded, best, "seed \(seed), crf \(crf)")
                XCTAssertTrue(wellFormed(decoded))
            }
        }
    }

    /// The CRF's Viterbi under the IOB2 rule never answers I-X after O, after another
    /// type, or first, even when the emissions and transitions favour it strongly.
    func testViterbiUnderIOB2NeverBreaksTheRule() {
        let (features, _) = tinyData()
        let crf = LinearChainCRF<Double>(tags: 5, name: "crf")
        var g = SeededGenerator(seed: 21)
        var brokenWithoutRule = 0
        for trial in 0..<200 {
            for p in crf.parameters { p.value = .uniform(p.shape, bound: 3, using: &g) }
            let steps = 1 + trial % 7
            var e = Tensor<Double>.uniform([steps, 5], bound: 3, using: &g)
            for t in 0..<steps { e.scalars[t * 5 + 2 + trial % 2] += 4 }  // push I-LOC or I-PER
            let free = crf.viterbi(e).map { features.tags[$0] }
            if !wellFormed(free) { brokenWithoutRule += 1 }
            let ruled = crf.viterbi(e, allowed: features.allowed).map { features.tags[$0] }
            XCTAssertTrue(wellFormed(ruled), "\(ruled)")
        }
        XCTAssertGreaterThan(brokenWithoutRule, 100)  // the test would catch a rule that did nothing
    }

    /// Finite differences through the spelling BiLSTM as well: its character table and
    /// both character LSTMs, besides everything the CRF tagger learns.
    func testCharacterTaggerGradientCheck() {
        let (features, sentences) = tinyData()
        var g = SeededGenerator(seed: 14)
        let tagger = RecurrentTagger<Double>(features: features, wordSize: 3, affixSize: 2, hiddenSize: 3, bidirectional: true,
                                             crf: true, characterSize: 2, dropout: 0, name: "tagger", using: &g)
        for p in tagger.parameters { p.value = .uniform(p.shape, bound: 0.7, using: &g) }
        let batch = [sentences[1], sentences[2]].map(features.encode)
        let result = gradientCheck(tagger.parameters) { tape in
            var unused = SeededGenerator(seed: 0)
            return tagger.loss(batch, on: tape, using: &unused)
        }
        XCTAssertEqual(result.errors.count, 4 + 7 + 3 + 3 + 2 + 3)
        // Below the character LSTMs the gradients are small enough that the central
        // difference's roundoff reaches a few 1e-6 of them (the encoder alone checks to
        // 1e-8, below); a wrong gradient is off by far more.
        XCTAssertLessThan(result.maxRelativeError, 1e-5, "\(result)")
    }

    /// The spelling BiLSTM alone, by finite differences, under a random linear read-out of
    /// its rows (words of three lengths, so three groups and the gather that reorders them).
    func testCharacterEncoderGradientCheck() {
        var g = SeededGenerator(seed: 15)
        let encoder = CharacterEncoder<Double>(alphabetSize: 6, embeddingSize: 2, hiddenSize: 2, name: "t", using: &g)
        for p in encoder.parameters { p.value = .uniform(p.shape, bound: 0.7, using: &g) }
        let words = [[1, 2, 3], [4], [5, 1, 2, 3], [2, 2, 1]]
        let readOut = Tensor<Double>.uniform([4, 4], bound: 1, using: &g)
        let result = gradientCheck(encoder.parameters) { tape in
            sum(encoder(words, on: tape) * tape.input(readOut, name: "r"))
        }
        XCTAssertEqual(result.errors.count, 7)
        XCTAssertLessThan(result.maxRelativeError, 1e-6, "\(result)")
    }

    /// A word's spelling vector is the same whether it is read alone or among words of
    /// other lengths (which run in other groups and are put back in place by `gather`),
    /// and it is the two character LSTMs' final states, computed here step by step.
    func testSpellingVectorsAreTheWordsOwn() {
        var g = SeededGenerator(seed: 15)
        let encoder = CharacterEncoder<Double>(alphabetSize: 6, embeddingSize: 3, hiddenSize: 2, name: "t", using: &g)
        let words = [[1, 2, 3], [4], [5, 1, 2, 3], [2, 2, 1]]
        let together = encoder(words, on: Tape<Double>()).value
        for (i, word) in words.enumerated() {
            let tape = Tape<Double>()
            XCTAssertEqual(encoder([word], on: tape).value.row(0), together.row(i), "word \(i)")
            // by hand: the forward cell over the characters, the backward one over them reversed
            let x = word.map { tape.input(Tensor(shape: [1, 3], scalars: encoder.characters.table.value.row($0)), name: "c") }
            func run(_ cell: LSTMCell<Double>, _ inputs: [Variable<Double>]) -> [Double] {
                inputs.dropFirst().reduce(cell.unroll(inputs[0], steps: 1)[0]) { state, input in
                    cell.unroll(input, steps: 1, from: state)[0]
                }.hidden.value.scalars
            }
            let expected = run(encoder.forward, x) + run(encoder.backward, x.reversed())
            for (a, b) in zip(together.row(i), expected) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        }
    }
}

