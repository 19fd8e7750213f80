import Classifiers
import FigureKit
import Foundation
import NeuralKit
import TextData
import XCTest
@testable import Chapter09

final class Chapter09Tests: XCTestCase {
    func tinyFeatures() -> (TaggingFeatures, [TaggedSentence]) {
        let words = [["Paris", "is", "lovely"], ["John", "met", "Mary"], ["EU", "rejects", "German"]]
        let tags = [["I-LOC", "O", "O"], ["I-PER", "O", "I-PER"], ["I-ORG", "O", "I-MISC"]]
        let sentences = zip(words, tags).map { zip($0, $1).map { TaggedToken(word: $0, tag: $1) } }
        return (TaggingFeatures(training: sentences, minimumCount: 1), sentences)
    }

    /// Gradient check of the bidirectional tagger: every embedding table, both LSTMs and
    /// the output layer, on a batch of two sentences.
    func testBidirectionalTaggerGradientCheck() {
        let (features, sentences) = tinyFeatures()
        var g = SeededGenerator(seed: 2)
        let tagger = RecurrentTagger<Double>(features: features, wordSize: 3, affixSize: 2, hiddenSize: 3, bidirectional: true,
                                             dropout: 0, name: "tagger", using: &g)
        for p in tagger.parameters { p.value = .uniform(p.shape, bound: 0.7, using: &g) }
        let batch = sentences.prefix(2).map(features.encode)
        let result = gradientCheck(tagger.parameters) { tape in
            var unused = SeededGenerator(seed: 0)
            return softmaxCrossEntropy(logits: tagger.logits(Array(batch), on: tape, using: &unused),
                                       labels: RecurrentTagger<Double>.labels(Array(batch)))
        }
        XCTAssertEqual(result.errors.count, 4 + 3 + 3 + 2)
        XCTAssertLessThan(result.maxRelativeError, 1e-6, "\(result)")
    }

    /// Batching changes nothing: a sentence's tag scores alone equal its rows inside a
    /// batch (time-major: step t of sentence i is row t·B + i).
    func testBatchedScoresEqualScoresAlone() {
        let (features, sentences) = tinyFeatures()
        var g = SeededGenerator(seed: 3)
        let tagger = RecurrentTagger<Double>(features: features, wordSize: 3, hiddenSize: 4, bidirectional: true,
                                             dropout: 0, name: "tagger", using: &g)
        let encoded = sentences.map(features.encode)
        let together = tagger.logits(encoded, on: Tape<Double>(), using: &g).value
        for (i, sentence) in encoded.enumerated() {
            let alone = tagger.logits([sentence], on: Tape<Double>(), using: &g).value
            for t in 0..<3 {
                XCTAssertEqual(alone.row(t), together.row(t * encoded.count + i))
            }
        }
    }

    /// The backward direction reads the sentence from its end: its state at step t equals
    /// a forward run over the reversed inputs at step T−1−t.
    func testReversedUnrollReadsFromTheEnd() {
        var g = SeededGenerator(seed: 4)
        let cell = LSTMCell<Double>(inputSize: 2, hiddenSize: 3, name: "lstm", using: &g)
        let x = Tensor<Double>.uniform([4 * 2, 2], bound: 1, using: &g)  // 4 steps, batch 2
        var reversedRows: [Double] = []
        for t in (0..<4).reversed() { reversedRows += x.scalars[(t * 4)..<((t + 1) * 4)] }
        let tape = Tape<Double>()
        let backward = cell.unroll(tape.input(x, name: "x"), steps: 4, reversed: true)
        let forward = cell.unroll(tape.input(Tensor(shape: [8, 2], scalars: reversedRows), name: "x reversed"), steps: 4)
        for t in 0..<4 {
            XCTAssertEqual(backward[t].hidden.value.scalars, forward[3 - t].hidden.value.scalars)
            XCTAssertEqual(backward[t].cell.value.scalars, forward[3 - t].cell.value.scalars)
        }
    }

    /// Gradient check of the LSTM sentence classifier with each pooling. The bound is
    /// 1e-5, not 1e-6: the smallest entries of W's gradient (the comparison's floor is
    /// 1e-3 of the largest) are at the rounding limit of a central difference (the error
    /// grows as the step shrinks: 1.2e-6 at h = 1e-4, 4e-6 at 1e-5, 1.3e-4 at 1e-6), while a
    /// wrong derivative would be off by order 1.
    func testSentenceClassifierGradientCheck() {
        for pooling in Pooling.allCases {
            var g = SeededGenerator(seed: 5)
            let model = LSTMSentenceClassifier<Double>(vocabularySize: 6, embeddingSize: 3, hiddenSize: 4, classes: 2,
                                                       pooling: pooling, dropout: 0, name: "lstm", using: &g)
            for p in model.parameters { p.value = .uniform(p.shape, bound: 1, using: &g) }
            let result = gradientCheck(model.parameters) { tape in
                var unused = SeededGenerator(seed: 0)
                return softmaxCrossEntropy(logits: model.scores([[1, 2, 5, 3, 1], [4, 4, 0, 2, 5]], on: tape, training: false, using: &unused),
                                           labels: [1, 0])
            }
            XCTAssertLessThan(result.maxRelativeError, 1e-5, "\(pooling): \(result.errors.map { "\($0.name) \($0.relativeError)" })")
        }
    }

    /// Unlike the DAN, the LSTM classifier tells word orders apart.
    func testLSTMClassifierSeesWordOrder() {
        var g = SeededGenerator(seed: 6)
        let model = LSTMSentenceClassifier<Double>(vocabularySize: 6, embeddingSize: 3, hiddenSize: 4, classes: 2,
                                                   pooling: .last, dropout: 0, name: "lstm", using: &g)
        let y = model.scores([[2, 5], [5, 2]], on: Tape<Double>(), training: false, using: &g).value.scalars
        XCTAssertNotEqual(Array(y[0..<2]), Array(y[2..<4]))
    }

    /// The generated dates are real dates, checked with Foundation's Gregorian calendar,
    /// and the five styles write the slides' example as expected.
    func testDateExamples() {
        XCTAssertEqual(DateTask.example(year: 1989, month: 4, day: 3, style: 0).source.joined(separator: " "),
                       "the third of april 1 9 8 9")
        XCTAssertEqual(DateTask.example(year: 2012, month: 11, day: 22, style: 3).source.joined(separator: " "),
                       "nov 2 2 nd 2 0 1 2")
        XCTAssertEqual(DateTask.example(year: 1989, month: 4, day: 3, style: 4).target.joined(), "1989-04-03")
        var g = SeededGenerator(seed: 7)
        let calendar = Calendar(identifier: .gregorian)
        let formatter = DateFormatter()
        formatter.calendar = calendar
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.isLenient = false
        var februaryTwentyNinths = 0
        for example in DateTask.examples(3000, using: &g) {
            let iso = example.target.joined()
            XCTAssertNotNil(formatter.date(from: iso), "\(iso) is not a date")
            if iso.hasSuffix("-02-29") { februaryTwentyNinths += 1 }
            XCTAssertTrue(example.source.allSatisfy(DateTask.sourceVocabulary.contains))
        }
        XCTAssertGreaterThan(februaryTwentyNinths, 0)
    }

    /// The encoder–decoder learns the date task on a small seeded run (the chapter's
    /// default: 6,000 training dates, 6 epochs, H = 128): at least 80 points above the best
    /// answer that does not read the input, computed here from the training dates: each of
    /// the ten characters of yyyy-mm-dd the one most frequent at its place in training.
    /// (No held-out date occurs in training, so no memorized answer scores at all.) The
    /// floor rests on that baseline: a decoder that ignores its encoder scores it.
    func testEncoderDecoderLearnsDates() throws {
        var g = SeededGenerator(seed: 99)
        let train = DateTask.examples(6000, using: &g), test = DateTask.examples(2000, using: &g)
        let modal: [String] = (0..<10).map { place in
            Dictionary(grouping: train.map { $0.target[place] }, by: { $0 }).max { $0.value.count < $1.value.count }!.key
        }
        let baseline = 100 * Double(test.filter { $0.target == modal }.count) / Double(test.count)
        XCTAssertLessThan(baseline, 5, "the input-blind guess \(modal.joined())")
        let (_, results) = try trainDates(trainCount: 6000, testCount: 300, epochs: 6, hiddenSize: 128, seed: 1, quiet: true)
        XCTAssertGreaterThan(results.exactMatch, baseline + 80, "\(results.exactMatchPerEpoch); baseline \(baseline)")
        XCTAssertLessThan(results.exactMatchPerEpoch[0], results.exactMatch)
    }

    /// The tagger reads its types from the training file, whatever they are (here
    /// `B-product` and lower-case types, two columns), and a dev file with a type training
    /// lacks, or with no entity at all, is an error naming the file before any training.
    func testTaggerDataTakesAnyTypesAndChecksDevAndTest() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("ch09-ner-\(UUID())")
        defer { try? FileManager.default.removeItem(at: root) }
        let folder = root.appendingPathComponent("conll2003/iob1")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func write(train: String = "iPhone B-product\nby O\nApple B-company\n", dev: String, test: String = "Apple B-company\n") throws {
            for (name, text) in [("eng.train", train), ("eng.testa", dev), ("eng.testb", test)] {
                try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
            }
        }
        let chapter = try Chapter09.parse(["--data-dir", root.path, "--tagger-epochs", "1", "--tagger-hidden", "4",
                                           "--tagger-embedding", "4"])
        try write(dev: "the O\niPhone B-product\n")
        let data = try chapter.namedEntityData()
        XCTAssertEqual(TaggingFeatures(training: data.train).tags, ["B-company", "B-product", "O"])
        var curves: [LinePlot.Series] = []
        XCTAssertTrue(try chapter.tagging(data, curves: &curves).bidirectional.testF1.isFinite)

        try write(dev: "the O\niPhone B-product\n\nMars B-planet\n")
        XCTAssertThrowsError(try chapter.namedEntityData()) { error in
            XCTAssertTrue("\(error)".hasPrefix(folder.appendingPathComponent("eng.testa").path + ":4: entity type \"planet\""), "\(error)")
        }
        try write(dev: "the O\niPhone B-product\n", test: "nothing O\nhere O\n")
        XCTAssertThrowsError(try chapter.namedEntityData()) { error in
            XCTAssertEqual(error as? TextDataError, .nothingToEvaluate(
                path: folder.appendingPathComponent("eng.testb").path,
                reason: "no entities (every tag is O), so precision, recall and F1 are undefined"))
        }
    }

    /// The chapter runs on the bundled samples and writes the JSON keys the book reads,
    /// with values a model that learned nothing would miss: the tagger's test F1 at least
    /// 50 points above the majority-tag baseline (the commonest training tag everywhere,
    /// O: no entity found, F1 0), the classifier's test accuracy at least 20 points above
    /// the test split's majority class (both computed here), and the encoder–decoder's
    /// exact match (one epoch on 600 dates here: it has barely started) a percentage.
    /// (The word-lookup baseline, each word's commonest training tag, is no yardstick on
    /// this sample: every sample word carries one tag, so it scores 100; on CoNLL-2003 it
    /// is, in Chapter 1's test.)
    func testChapterRunsOnTheSample() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ch09-\(UUID())")
        let json = folder.appendingPathComponent("results.json").path
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let chapter = try Chapter09.parse(["--figures", folder.path, "--json", json, "--tagger-epochs", "8",
                                           "--classifier-epochs", "3", "--dates", "600,100", "--date-epochs", "1"])
        try chapter.run()
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        for key in ["tagger_test_f1", "classifier_test_accuracy", "encoder_decoder_exact_match"] {
            XCTAssertNotNil(results[key] as? Double, key)
            XCTAssertTrue((0...100).contains(results[key] as? Double ?? -1), key)
        }
        let entities = try chapter.namedEntityData()
        let tags = entities.train.joined().map(\.tag)
        let commonest = Dictionary(grouping: tags, by: { $0 }).max { $0.value.count < $1.value.count }!.key
        let tagBaseline = EntityScores(gold: entities.test.map { $0.map(\.tag) },
                                       predicted: entities.test.map { $0.map { _ in commonest } }).overall.f1
        XCTAssertGreaterThan(results["tagger_test_f1"] as! Double, tagBaseline + 50, "majority tag \(commonest): F1 \(tagBaseline)")
        let sentiment = try SentimentCorpus.load(dataDirectory: nil, phrases: true)
        let test = EncodedSentences(sentiment.test, task: .binary, vocabulary: sentiment.vocabulary())
        let majority = 100 * Double(test.classCounts(2).max()!) / Double(test.count)
        XCTAssertGreaterThan(results["classifier_test_accuracy"] as! Double, majority + 20, "majority class \(majority)")
        for name in ["chapter09-bilstm-tagger.svg", "chapter09-encoder-decoder.svg", "chapter09-models.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), name)
        }
    }
}
