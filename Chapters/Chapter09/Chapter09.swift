import ArgumentParser
import ChapterKit
import Classifiers
import FigureKit
import Foundation
import NeuralKit
import TextData

// Reading order: Tagging.swift, Classification.swift, Dates.swift, CommandLine.swift

/*: # Chapter 9 · What RNNs are used for

 Chapters 5 to 8 trained recurrent networks to predict the next word. The same networks
 do other jobs once their hidden states are read differently:

 1. **tagging**: a label for every word, from every step's hidden state (named entities,
    as in Chapter 1, now with the whole sentence in view);
 2. **sentence classification**: one label for the sentence, from one vector that sums
    up all the states (sentiment, as in Chapter 2, now with word order);
 3. **an encoder inside a larger model**: the final state stands for the input, and
    another network (here a decoder that writes a normalized date) is built on it.

 Each part trains on real data with `--data-dir` (CoNLL-2003, the Stanford Sentiment
 Treebank; the dates are generated) and is set beside the earlier chapters' models.
 <!-- output: (opening) -->
*/
/// What Chapter 9 computes and prints, in order; its options are in CommandLine.swift.
extension Chapter09 {
    static let title = "Chapter 9 · What RNNs are used for"

    func story(_ results: inout Results) throws {
        try drawGraphs(to: figures)
        var curves: [LinePlot.Series] = []

        // Both corpora are read and checked before any training, so a bad dev or test
        // file stops the run now, not after the taggers' epochs.
        let entities = try namedEntityData()
        let sentiment = try SentimentCorpus.load(dataDirectory: options.dataDir, phrases: trainOn == "phrases")
        results.tagging = try tagging(entities, curves: &curves)
        results.classification = try classification(sentiment, curves: &curves)
        results.dates = try encoderDecoder(curves: &curves)
        results.taggerTestF1 = results.tagging.bidirectional.testF1
        results.classifierTestAccuracy = results.classification.bestLSTM.map { results.classification.models[$0]!.testAccuracy } ?? 0
        results.encoderDecoderExactMatch = results.dates.exactMatch

        let plot = LinePlot(title: "Dev F1 (taggers), dev accuracy (SST-2), held-out exact match (dates)", xLabel: "epoch",
                            yLabel: "score (%)", series: curves)
        say("\nFigure: " + (try plot.write(to: figures, name: "chapter09-models")).relativePath)
        printTable(results)
    }

    /*: ## The computation graphs

     Both drawn from the tape with tiny sizes. The bidirectional tagger over three words:
     two chains of LSTM steps, one running each way, meeting at every word's output
     layer. The encoder–decoder: the encoder's chain over the source, whose last state
     is the decoder's first.
     <!-- output: The computation graphs (tiny -->
    */
    func drawGraphs(to figures: URL) throws {
        say("## The computation graphs (tiny sizes)\n")
        var generator = SeededGenerator(seed: options.seed)
        let sentence: TaggedSentence = [TaggedToken(word: "Paris", tag: "I-LOC"), TaggedToken(word: "is", tag: "O"),
                                        TaggedToken(word: "lovely", tag: "O")]
        let features = TaggingFeatures(training: [sentence], minimumCount: 1)
        let tagger = RecurrentTagger<Float>(features: features, wordSize: 2, affixSize: 1, hiddenSize: 2, bidirectional: true,
                                            dropout: 0, name: "tagger", using: &generator)
        let tape = Tape<Float>()
        let scores = tagger.logits([features.encode(sentence)], on: tape, using: &generator)
        let graph = ComputationGraph(tape: tape, output: softmax(scores),
                                     title: "Bidirectional LSTM tagger over \"Paris is lovely\": →LSTM and ←LSTM, a softmax over tags at every word",
                                     loops: .stacked)
        say("Figure: " + (try GraphvizRenderer.render(graph, to: figures, name: "chapter09-bilstm-tagger")).map(\.relativePath).joined(separator: ", "))

        let model = EncoderDecoder<Float>(sourceVocabulary: 4, targetVocabulary: 4, embeddingSize: 2, hiddenSize: 2, using: &generator)
        let tape2 = Tape<Float>()
        let loss = model.loss(sources: [[1, 2, 3]], targets: [[2, 3, 1]], startID: 0, on: tape2)
        let graph2 = ComputationGraph(tape: tape2, output: loss,
                                      title: "Encoder–decoder, 3 source tokens → 3 target tokens: the encoder's last (h, c) starts the decoder",
                                      loops: .oneAfterAnother(names: ["encoder", "decoder"]))
        say("Figure: " + (try GraphvizRenderer.render(graph2, to: figures, name: "chapter09-encoder-decoder")).map(\.relativePath).joined(separator: ", "))
    }

    /// The tagger's train, dev and test sentences and where they came from, in words.
    struct TaggingData {
        var train: [TaggedSentence], dev: [TaggedSentence], test: [TaggedSentence]
        var source: String
    }

    func namedEntityData() throws -> TaggingData {
        if let dir = options.dataDir {
            let data = DataDirectory(dir)
            // read and checked together: dev and test may hold only the training file's types
            let corpus = try NERSplits(data)
            return TaggingData(train: corpus.train, dev: corpus.dev, test: corpus.test, source: "CoNLL-2003 English (\(data.file("conll2003/iob1").path)), IOB1 tags")
        }
        let sentences = try CoNLLReader.read(SampleData.url("ner-sample.conll"))
        let a = sentences.count * 4 / 5, b = sentences.count * 9 / 10
        return TaggingData(train: Array(sentences[..<a]), dev: Array(sentences[a..<b]), test: Array(sentences[b...]),
                           source: "the bundled made-up NER sample (80% train, 10% dev, 10% test)")
    }

    func tagging(_ data: TaggingData, curves: inout [LinePlot.Series]) throws -> TaggingResults {
        say("\n## 1 · Named-entity tagging with an LSTM and a bidirectional LSTM\n")
        let (train, dev, test) = (data.train, data.dev, data.test)
        say("Data: \(data.source)")
        say("  \(train.count) training sentences, \(dev.count) dev, \(test.count) test")
        let features = TaggingFeatures(training: train)
        let encode = { (s: [TaggedSentence]) in s.map(features.encode) }
        let (trainIDs, devIDs, testIDs) = (encode(train), encode(dev), encode(test))
        let devGold = dev.map { $0.map(\.tag) }, testGold = test.map { $0.map(\.tag) }
        var settings = TaggerSettings()
        settings.epochs = taggerEpochs ?? (options.dataDir == nil ? 8 : 5)
        settings.batchSize = options.dataDir == nil ? 8 : 32  // the sample has 240 sentences
        settings.seed = options.seed
        var results = TaggingResults()
        for bidirectional in [false, true] {
            var generator = SeededGenerator(seed: options.seed)
            let name = bidirectional ? "BiLSTM tagger" : "LSTM tagger"
            let tagger = RecurrentTagger<Float>(features: features, wordSize: taggerEmbedding, hiddenSize: taggerHidden,
                                                bidirectional: bidirectional, dropout: 0.5, name: "tagger", using: &generator)
            say("\n\(name): \(tagger.parameters.parameterCount()) parameters, H = \(taggerHidden)\(bidirectional ? " per direction" : "")")
            let clock = ContinuousClock(), start = clock.now
            let devCurve = try trainTagger(tagger, train: trainIDs, dev: devIDs, devGold: devGold, tags: features.tags,
                                           settings: settings, label: name,
                                           checkpoint: checkpoints.checkpointing(named: bidirectional ? "chapter09-bilstm-tagger" : "chapter09-lstm-tagger",
                                                                                 first: !bidirectional))
            let seconds = (clock.now - start).seconds
            let devScores = EntityScores(gold: devGold, predicted: predictTags(tagger, devIDs, tags: features.tags))
            let testScores = EntityScores(gold: testGold, predicted: predictTags(tagger, testIDs, tags: features.tags))
            say(String(format: "%@: dev F1 %.2f, test F1 %.2f (precision %.2f, recall %.2f); %.0f s of training",
                       name as NSString, devScores.overall.f1, testScores.overall.f1, testScores.overall.precision,
                       testScores.overall.recall, seconds))
            let outcome = TaggerOutcome(devF1: devScores.overall.f1, testF1: testScores.overall.f1, devF1PerEpoch: devCurve,
                                        parameters: tagger.parameters.parameterCount(), trainSeconds: seconds)
            if bidirectional { results.bidirectional = outcome } else { results.leftToRight = outcome }
            curves.append(.init(bidirectional ? "BiLSTM tagger" : "LSTM tagger", devCurve.enumerated().map { (Double($0 + 1), $1) }))
            if bidirectional { showExample(tagger, features: features, sentence: test.first { $0.count >= 6 } ?? test[0]) }
        }
        return results
    }

    func showExample(_ tagger: RecurrentTagger<Float>, features: TaggingFeatures, sentence: TaggedSentence) {
        let predicted = predictTags(tagger, [features.encode(sentence)], tags: features.tags)[0]
        say("\nA test sentence, gold / predicted entities:")
        say("  " + sentence.map(\.word).joined(separator: " "))
        let words = sentence.map(\.word)
        let show = { (spans: [EntitySpan]) in spans.map { "\($0.type): \(words[$0.range].joined(separator: " "))" }.joined(separator: "; ") }
        say("  gold:      " + show(EntitySpan.spans(sentence.map(\.tag))))
        say("  predicted: " + show(EntitySpan.spans(predicted)))
    }

    func classification(_ corpus: SentimentCorpus, curves: inout [LinePlot.Series]) throws -> ClassificationResults {
        say("\n## 2 · Sentence classification: LSTM states pooled three ways, beside Chapter 2's DAN\n")
        let phrases = trainOn == "phrases"
        let vocabulary = corpus.vocabulary()
        let train = EncodedSentences(phrases ? corpus.train.phrases : corpus.train.sentences, task: .binary, vocabulary: vocabulary)
        let dev = EncodedSentences(corpus.dev, task: .binary, vocabulary: vocabulary)
        let test = EncodedSentences(corpus.test, task: .binary, vocabulary: vocabulary)
        say("Data: \(corpus.source); binary task (SST-2), trained on \(train.count) \(phrases ? "phrases" : "sentences"), dev \(dev.count), test \(test.count)")
        var settings = ClassifierSettings()
        settings.epochs = classifierEpochs ?? (options.dataDir == nil ? 10 : 4)
        settings.seed = options.seed
        var results = ClassificationResults()
        func record(_ name: String, _ model: some SentenceClassifier, history: [ClassifierEpoch]) {
            let outcome = ClassifierOutcome(devAccuracy: accuracy(model, on: dev), testAccuracy: accuracy(model, on: test),
                                            parameters: model.parameters.parameterCount(), devAccuracyPerEpoch: history.map(\.devAccuracy),
                                            trainSeconds: history.map(\.seconds).reduce(0, +))
            results.models[name] = outcome
            say(String(format: "%@: dev %.2f%%, test %.2f%% (%d parameters, %.0f s)", name as NSString, outcome.devAccuracy,
                       outcome.testAccuracy, outcome.parameters, outcome.trainSeconds))
            curves.append(.init(name.replacingOccurrences(of: ", ", with: " ").replacingOccurrences(of: " state", with: ""), history.map { (Double($0.epoch), $0.devAccuracy) }))
        }
        var generator = SeededGenerator(seed: options.seed)
        let dan = DeepAveragingNetwork<Float>(vocabularySize: vocabulary.count, embeddingSize: 200, hiddenSize: 200,
                                              classes: 2, using: &generator)
        record("DAN", dan, history: try trainClassifier(dan, on: train, dev: dev, settings: settings, label: "DAN",
                                                              checkpoint: checkpoints.checkpointing(named: "chapter09-dan", first: false)))
        let orders = ["not good", "good not"].map { $0.split(separator: " ").map { vocabulary.id(String($0)) } }
        let danProbabilities = classProbabilities(dan, orders)
        var probe: [String: (Double, Double)] = ["DAN": (danProbabilities[0][1], danProbabilities[1][1])]
        for pooling in Pooling.allCases {
            var generator = SeededGenerator(seed: options.seed)
            let model = LSTMSentenceClassifier<Float>(vocabularySize: vocabulary.count, embeddingSize: 200, hiddenSize: 150,
                                                      classes: 2, pooling: pooling, dropout: 0.5, name: "lstm", using: &generator)
            let name = "LSTM, \(pooling.rawValue) state"
            record(name, model, history: try trainClassifier(model, on: train, dev: dev, settings: settings, label: name,
                                                                checkpoint: checkpoints.checkpointing(named: "chapter09-lstm-\(pooling.rawValue)", first: false)))
            let p = classProbabilities(model, orders)
            probe[name] = (p[0][1], p[1][1])
        }
        results.bestLSTM = results.models.filter { $0.key.hasPrefix("LSTM") }.max { $0.value.devAccuracy < $1.value.devAccuracy }?.key
        say("\nWord order: P(positive) for \"not good\" and \"good not\" (the DAN cannot tell them apart)")
        for (name, (a, b)) in probe.sorted(by: { $0.key < $1.key }) {
            say(String(format: "  %@: %.3f vs %.3f", name as NSString, a, b))
        }
        return results
    }

    func encoderDecoder(curves: inout [LinePlot.Series]) throws -> DateResults {
        say("\n## 3 · An LSTM encoder inside an encoder–decoder: dates in words → ISO 8601\n")
        let counts = dates.split(separator: ",").compactMap { Int($0) }
        guard counts.count == 2, counts.allSatisfy({ $0 > 0 }) else {
            throw ValidationError("--dates wants two positive counts, training and held-out, such as 6000,1000")
        }
        say("Five styles, for example:")
        for style in 0..<5 {
            let e = DateTask.example(year: 1989, month: 4, day: 3, style: style)
            say("  " + e.source.joined(separator: " ") + " → " + e.target.joined())
        }
        let (_, results) = try trainDates(trainCount: counts[0], testCount: counts[1], epochs: dateEpochs, hiddenSize: 128,
                                          seed: options.seed, checkpoint: checkpoints.checkpointing(named: "chapter09-dates", first: false))
        say(String(format: "Exact match on %d held-out dates (none seen in training): %.1f%%", results.testExamples, results.exactMatch))
        say("Some held-out answers:")
        for line in results.examples { say("  " + line) }
        curves.append(.init("encoder–decoder", results.exactMatchPerEpoch.enumerated().map { (Double($0 + 1), $1) }))
        return results
    }

    func printTable(_ results: Results) {
        say("\n## Results\n")
        say("| task | model | ours | beside it |")
        say("| --- | --- | ---: | --- |")
        say(String(format: "| NER, test F1 | LSTM tagger | %.2f | Chapter 1's window classifier: 79.60 (README; each tag decided alone) |", results.tagging.leftToRight.testF1))
        say(String(format: "| NER, test F1 | BiLSTM tagger | %.2f | Lample et al. 2016, LSTM-CRF without pre-trained vectors: 83.63 (as the issue quotes it) |", results.tagging.bidirectional.testF1))
        for (name, outcome) in results.classification.models.sorted(by: { $0.key < $1.key }) {
            say(String(format: "| SST-2, test accuracy | %@ | %.2f | %@ |", name as NSString, outcome.testAccuracy,
                       (name == "DAN" ? "Chapter 2's model, same data and budget" : "the DAN on the same data") as NSString))
        }
        say(String(format: "| dates → ISO, exact match | LSTM encoder–decoder | %.1f | — |", results.dates.exactMatch))
        if options.dataDir == nil { say("\n(On the bundled made-up samples these numbers say only that training works; use --data-dir.)") }
    }
}

// book: details What --json FILE writes
struct TaggerOutcome: Encodable {
    var devF1 = 0.0
    var testF1 = 0.0
    var devF1PerEpoch: [Double] = []
    var parameters = 0
    var trainSeconds = 0.0
}

struct TaggingResults: Encodable {
    var leftToRight = TaggerOutcome()
    var bidirectional = TaggerOutcome()
}

struct ClassifierOutcome: Encodable {
    var devAccuracy = 0.0
    var testAccuracy = 0.0
    var parameters = 0
    var devAccuracyPerEpoch: [Double] = []
    var trainSeconds = 0.0
}

struct ClassificationResults: Encodable {
    var models: [String: ClassifierOutcome] = [:]
    /// The LSTM classifier with the best dev accuracy (its test accuracy is the headline).
    var bestLSTM: String?
}

/// What `--json FILE` writes.
struct Results: Encodable {
    var taggerTestF1 = 0.0
    var classifierTestAccuracy = 0.0
    var encoderDecoderExactMatch = 0.0
    var tagging = TaggingResults()
    var classification = ClassificationResults()
    var dates = DateResults()
    var seconds = 0.0
}
