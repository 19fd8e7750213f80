import Foundation
import NeuralKit
import TextData

/// Which labels a sentiment experiment predicts: SST-2 (negative / positive, neutral
/// sentences left out) or SST-5 (the treebank's five classes).
public enum SentimentTask: String, CaseIterable, Sendable {
    case binary, fine

    public var classes: Int { self == .binary ? 2 : 5 }
    public var classNames: [String] {
        self == .binary ? ["negative", "positive"]
            : ["very negative", "negative", "neutral", "positive", "very positive"]
    }

    /// The sentence as this task labels it (nil: a neutral sentence in the binary task).
    public func relabel(_ sentence: LabelledSentence) -> LabelledSentence? {
        self == .binary ? sentence.binary : sentence
    }
}

/// The three splits of a sentiment corpus: the real treebank from `--data-dir`
/// (`sst/trees/`), or the bundled made-up sample in the same format.
public struct SentimentCorpus: Sendable {
    public var train: SentimentTreebank
    public var dev: [LabelledSentence]
    public var test: [LabelledSentence]
    /// What was read, for the chapter to print.
    public var source: String

    public static func load(dataDirectory: String?, phrases: Bool) throws -> SentimentCorpus {
        let urls: (URL, URL, URL)
        let source: String
        if let dataDirectory {
            let data = DataDirectory(dataDirectory)
            urls = (data.sstTrain, data.sstDev, data.sstTest)
            source = "Stanford Sentiment Treebank (\(data.file("sst/trees").path))"
        } else {
            urls = (SampleData.url("sentiment-sample.train.txt"), SampleData.url("sentiment-sample.dev.txt"),
                    SampleData.url("sentiment-sample.test.txt"))
            source = "bundled made-up sample (Scripts/make_sentiment_sample.py)"
        }
        let corpus = SentimentCorpus(
            train: try SentimentTreebank.read(urls.0, phrases: phrases),
            dev: try SentimentTreebank.read(urls.1).sentences,
            test: try SentimentTreebank.read(urls.2).sentences,
            source: source)
        // Every chapter that reads the treebank runs SST-2, which leaves the neutral
        // sentences out: a dev or test file of neutral sentences only would score 0 of 0,
        // and training on none would have nothing to learn from.
        func hasBinary(_ sentences: [LabelledSentence]) -> Bool { sentences.contains { $0.binary != nil } }
        func allNeutral(_ units: String) -> String {
            "every \(units) is neutral (label 2), and SST-2 keeps only negative (0, 1) and positive (3, 4) ones"
        }
        guard hasBinary(phrases ? corpus.train.phrases : corpus.train.sentences) else {
            throw TextDataError.nothingToTrainOn(path: urls.0.path, reason: allNeutral(phrases ? "phrase" : "sentence"))
        }
        for (url, sentences) in [(urls.1, corpus.dev), (urls.2, corpus.test)] where !hasBinary(sentences) {
            throw TextDataError.nothingToEvaluate(path: url.path, reason: allNeutral("sentence"))
        }
        return corpus
    }

    /// The training words seen at least `minimumCount` times in the training sentences;
    /// the rest, and every unseen word of dev and test, read as `<unk>`.
    public func vocabulary(minimumCount: Int = 2) -> Vocabulary {
        Vocabulary(counting: train.sentences.lazy.flatMap(\.words), minimumCount: minimumCount)
    }
}

/// Sentences as word ids with their class labels.
public struct EncodedSentences: Sendable {
    public var ids: [[Int]]
    public var labels: [Int]

    public init(ids: [[Int]], labels: [Int]) {
        precondition(ids.count == labels.count, "EncodedSentences: \(ids.count) sentences, \(labels.count) labels")
        self.ids = ids
        self.labels = labels
    }

    /// The sentences the task keeps, through `vocabulary`.
    public init(_ sentences: [LabelledSentence], task: SentimentTask, vocabulary: Vocabulary) {
        let kept = sentences.compactMap(task.relabel)
        self.init(ids: kept.map { $0.words.map(vocabulary.id) }, labels: kept.map(\.label))
    }

    public var count: Int { ids.count }

    /// How many of each class, in class order.
    public func classCounts(_ classes: Int) -> [Int] {
        var counts = [Int](repeating: 0, count: classes)
        for label in labels { counts[label] += 1 }
        return counts
    }
}

/// Mini-batches of sentences of one length each, so a recurrent network runs a batch
/// without padding (the backward direction of a bidirectional one starts at every
/// sentence's true end): in order of length, then position.
public func equalLengthBatches(_ lengths: [Int], batchSize: Int) -> [[Int]] {
    var unused = SeededGenerator(seed: 0)
    return equalLengthBatches(lengths, batchSize: batchSize, shuffle: false, using: &unused)
}

/// The same for training: the sentences of each length shuffled, the batches in shuffled
/// order, both drawn from `generator`.
public func equalLengthBatches(_ lengths: [Int], batchSize: Int, shuffledBy generator: inout SeededGenerator) -> [[Int]] {
    equalLengthBatches(lengths, batchSize: batchSize, shuffle: true, using: &generator)
}

private func equalLengthBatches(_ lengths: [Int], batchSize: Int, shuffle: Bool, using generator: inout SeededGenerator) -> [[Int]] {
    precondition(batchSize > 0, "equalLengthBatches: batch size \(batchSize)")
    var byLength: [Int: [Int]] = [:]
    for (i, length) in lengths.enumerated() { byLength[length, default: []].append(i) }
    var batches: [[Int]] = []
    for length in byLength.keys.sorted() {
        var members = byLength[length]!
        if shuffle { generator.shuffle(&members) }
        for start in stride(from: 0, to: members.count, by: batchSize) {
            batches.append(Array(members[start..<min(start + batchSize, members.count)]))
        }
    }
    if shuffle { generator.shuffle(&batches) }
    return batches
}
