import ArgumentParser
import ChapterKit
import Classifiers
import FigureKit
import Foundation
import NeuralKit
import TextData

// Reading order: Tagging.swift, Characters.swift, Classification.swift, Dates.swift, CommandLine.swift

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
        results.taggerTestF1 = results.tagging.best.testF1
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

        var model = EncoderDecoder<Float>(sourceVocabulary: 4, targetVocabulary: 4, embeddingSize: 2, hiddenSize: 2, using: &generator)
        model.recurrence = .stepByStep  // the readable steps, one column per time step
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
        say("\n## 1 · Named-entity tagging with an LSTM, a BiLSTM and a BiLSTM-CRF\n")
        let (train, dev, test) = (data.train, data.dev, data.test)
        say("Data: \(data.source)")
        say("  \(train.count) training sentences, \(dev.count) dev, \(test.count) test")
        let features = TaggingFeatures(training: train)
        let encode = { (s: [TaggedSentence]) in s.map(features.encode) }
        let (trainIDs, devIDs, testIDs) = (encode(train), encode(dev), encode(test))
        let devGold = dev.map { $0.map(\.tag) }, testGold = test.map { $0.map(\.tag) }
        var settings = TaggerSettings()
        // The sample has 240 sentences: small batches, a larger rate and a few epochs.
        settings.epochs = taggerEpochs ?? (options.dataDir == nil ? 5 : 20)
        settings.batchSize = options.dataDir == nil ? 8 : 16
        settings.learningRate = options.dataDir == nil ? 3e-3 : 1e-3
        settings.seed = options.seed
        say("Training: Adam \(settings.learningRate), batches of \(settings.batchSize), \(settings.epochs) epochs (the best on dev kept), "
            + "dropout 0.5, a word seen once read as <unk> with probability \(settings.singletonDropout)")
        var results = TaggingResults()
        let models: [(name: String, bidirectional: Bool, crf: Bool, characters: Bool, checkpoint: String)] = [
            ("LSTM tagger", false, false, false, "chapter09-lstm-tagger"), ("BiLSTM tagger", true, false, false, "chapter09-bilstm-tagger"),
            ("BiLSTM-CRF tagger", true, true, false, "chapter09-bilstm-crf-tagger"),
        ] + (taggerCharacters > 0 ? [("BiLSTM-CRF + characters", true, true, true, "chapter09-bilstm-crf-characters-tagger")] : [])
        for (number, model) in models.enumerated() {
            var generator = SeededGenerator(seed: options.seed)
            let tagger = RecurrentTagger<Float>(features: features, wordSize: taggerEmbedding, hiddenSize: taggerHidden,
                                                bidirectional: model.bidirectional, crf: model.crf,
                                                characterSize: model.characters ? taggerCharacters : nil, dropout: 0.5, name: "tagger",
                                                using: &generator)
            say("\n\(model.name): \(tagger.parameters.parameterCount()) parameters, H = \(taggerHidden)\(model.bidirectional ? " per direction" : "")")
            let decoding: TagDecoding = model.crf ? .crf : .eachWord
            let clock = ContinuousClock(), start = clock.now
            let devCurve = try trainTagger(tagger, train: trainIDs, dev: devIDs, devGold: devGold, features: features,
                                           decoding: decoding, settings: settings, label: model.name,
                                           checkpoint: checkpoints.checkpointing(named: model.checkpoint, first: number == 0))
            let seconds = (clock.now - start).seconds
            func scores(_ decoding: TagDecoding) -> (dev: EntityScores, test: EntityScores) {
                (EntityScores(gold: devGold, predicted: predictTags(tagger, devIDs, features: features, decoding: decoding)),
                 EntityScores(gold: testGold, predicted: predictTags(tagger, testIDs, features: features, decoding: decoding)))
            }
            let (devScores, testScores) = scores(decoding)
            say(String(format: "%@: dev F1 %.2f, test F1 %.2f (precision %.2f, recall %.2f); %.0f s of training",
                       model.name as NSString, devScores.overall.f1, testScores.overall.f1, testScores.overall.precision,
                       testScores.overall.recall, seconds))
            var outcome = TaggerOutcome(devF1: devScores.overall.f1, testF1: testScores.overall.f1, devF1PerEpoch: devCurve,
                                        parameters: tagger.parameters.parameterCount(), trainSeconds: seconds)
            if !model.crf {
                // the same scores, read as the best well-formed IOB2 sequence
                let (devScores, testScores) = scores(.wellFormed)
                say(String(format: "  decoded as well-formed IOB2 sequences: dev F1 %.2f, test F1 %.2f",
                           devScores.overall.f1, testScores.overall.f1))
                (outcome.wellFormedDevF1, outcome.wellFormedTestF1) = (devScores.overall.f1, testScores.overall.f1)
            }
            switch (model.bidirectional, model.crf, model.characters) {
            case (false, _, _): results.leftToRight = outcome
            case (true, false, _): results.bidirectional = outcome
            case (true, true, false): results.crf = outcome
            case (true, true, true): results.crfCharacters = outcome
            }
            curves.append(.init(model.name, devCurve.enumerated().map { (Double($0 + 1), $1) }))
            if model.crf {
                showExample(tagger, features: features, sentence: test.first { $0.count >= 6 } ?? test[0])
            }
        }
        return results
    }

    func showExample(_ tagger: RecurrentTagger<Float>, features: TaggingFeatures, sentence: TaggedSentence) {
        let predicted = predictTags(tagger, [features.encode(sentence)], features: features, decoding: .crf)[0]
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
        // The sample has 560 training sentences: a larger rate and half the epochs.
        settings.epochs = classifierEpochs ?? (options.dataDir == nil ? 5 : 4)
        settings.learningRate = options.dataDir == nil ? 3e-3 : 1e-3
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

    /// The encoder–decoder's H: 128 in the full run (`--data-dir`), 64 in the quick one on
    /// the samples (a third of the time; 92% exact match after 6 epochs instead of 96%).
    var dateHiddenSize: Int { options.dataDir == nil ? 64 : 128 }

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
        say("Encoder and decoder: LSTMs of H = \(dateHiddenSize)\(options.dataDir == nil ? " (128 with --data-dir)" : "")")
        let (_, results) = try trainDates(trainCount: counts[0], testCount: counts[1], epochs: dateEpochs, hiddenSize: dateHiddenSize,
                                          seed: options.seed, checkpoint: checkpoints.checkpointing(named: "chapter09-dates", first: false))
        say(String(format: "Exact match on %d held-out dates (none seen in training): %.1f%%", results.testExamples, results.exactMatch))
        say("Some held-out answers:")
        for line in results.examples { say("  " + line) }
        curves.append(.init("encoder–decoder", results.exactMatchPerEpoch.enumerated().map { (Double($0 + 1), $1) }))
        return results
    }

    /// The published numbers beside the taggers, each checked against its paper.
    enum Published {
        /// Collobert et al. 2011, "Natural Language Processing (Almost) from Scratch", JMLR 12,
        /// Table 4, NER column: the window network trained on CoNLL-2003 alone (no
        /// unlabelled-text embeddings, no gazetteer), word-level log-likelihood (NN+WLL) and
        /// sentence-level log-likelihood with learned transition scores (NN+SLL). The same
        /// numbers Chapter 1 prints beside its window classifier (Chapter01/CoNLLExperiment.swift);
        /// not re-read on 2026-11-30: the course's search tool finds only the paper's abstract
        /// pages, not its tables.
        static let windowWordLevel = 79.53, windowSentenceLevel = 81.47
        /// Lample et al. 2016, "Neural Architectures for Named Entity Recognition", NAACL,
        /// Table 5 (English NER by configuration, as Section 5.4 refers to it): LSTM-CRF
        /// with randomly initialized word vectors, character-based word representations and
        /// dropout ("char + dropout", no pretraining). Checked on 2026-11-30 with the
        /// course's search tool: the paper's Section 5.4 text (repository
        /// windmissing/NLP-important-papers, NANER/Experiments.md) says pretraining adds
        /// +7.31 F1 to the full model's 90.94 (its Table 1, also in jiesutd/NCRFpp's README),
        /// so the model without pretraining scores 90.94 − 7.31 = 83.63; the table itself is
        /// an image in the copies the tool finds.
        static let lstmCRFRandomVectors = 83.63
    }

    /// Chapter 1's window classifier on CoNLL-2003 test (README's results table, from
    /// `swift run -c release Chapter01 --data-dir ../shared/data`): each word's tag alone,
    /// and the best well-formed IOB2 sequence.
    static let windowClassifier = (eachWord: 79.60, wellFormed: 82.01)

    func printTable(_ results: Results) {
        say("\n## Results\n")
        let tagging = results.tagging
        say("| NER, CoNLL-2003 test F1 | ours | training | published |")
        say("| --- | ---: | ---: | --- |")
        let window = Self.windowClassifier
        say(String(format: "| window classifier (Chapter 1), each tag alone | %.2f | — | Collobert et al. 2011, Table 4, window NN+WLL: %.2f |",
                   window.eachWord, Published.windowWordLevel))
        say(String(format: "| window classifier (Chapter 1), best well-formed sequence | %.2f | — | Collobert et al. 2011, Table 4, window NN+SLL (learned transitions): %.2f |",
                   window.wellFormed, Published.windowSentenceLevel))
        for (name, outcome) in [("LSTM", tagging.leftToRight), ("BiLSTM", tagging.bidirectional)] {
            say(String(format: "| %@ tagger, each tag alone | %.2f | %.0f s | — |", name as NSString, outcome.testF1, outcome.trainSeconds))
            say(String(format: "| %@ tagger, best well-formed sequence | %.2f | (same) | — |", name as NSString, outcome.wellFormedTestF1 ?? 0))
        }
        say(String(format: "| BiLSTM-CRF tagger (Viterbi, well-formed) | %.2f | %.0f s | Lample et al. 2016, Table 5, LSTM-CRF, random word vectors (char + dropout): %.2f |",
                   tagging.crf.testF1, tagging.crf.trainSeconds, Published.lstmCRFRandomVectors))
        if let outcome = tagging.crfCharacters {
            say(String(format: "| BiLSTM-CRF + character BiLSTM (%d per direction) | %.2f | %.0f s | Lample et al.'s 83.63 above has such a character BiLSTM |",
                       taggerCharacters, outcome.testF1, outcome.trainSeconds))
        }
        say("(Chapter 1's rows are its run's results as the README gives them. Our taggers read Chapter 1's word features: "
            + "capitalization and three-letter prefix and suffix\(tagging.crfCharacters == nil ? ", no character model" : "; only the last row adds a character model").)")

        say("\n| task | model | ours | beside it |")
        say("| --- | --- | ---: | --- |")
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
    /// A softmax tagger's scores decoded as the best well-formed IOB2 sequence.
    var wellFormedDevF1: Double?
    var wellFormedTestF1: Double?
    var devF1PerEpoch: [Double] = []
    var parameters = 0
    var trainSeconds = 0.0
}

struct TaggingResults: Encodable {
    var leftToRight = TaggerOutcome()
    var bidirectional = TaggerOutcome()
    var crf = TaggerOutcome()
    /// Trained only with --tagger-characters N.
    var crfCharacters: TaggerOutcome?

    /// The tagger (and decoding) with the best dev F1, as test F1 and dev F1.
    var best: (testF1: Double, devF1: Double) {
        let candidates = ([leftToRight, bidirectional, crf] + (crfCharacters.map { [$0] } ?? [])).flatMap { outcome in
            [(outcome.testF1, outcome.devF1)] + (outcome.wellFormedTestF1.map { [($0, outcome.wellFormedDevF1!)] } ?? [])
        }
        return candidates.max { $0.1 < $1.1 }!
    }
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
