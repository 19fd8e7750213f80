import ChapterKit
import Foundation
import NeuralKit
import TextData

/*: ## 6. On CoNLL-2003

 The real task: train the softmax window classifier on the 203,621 tokens of CoNLL-2003
 English train, pick nothing by looking at test, and score entities on dev (testa) and
 test (testb) with conlleval's rules.

 Collobert et al. (2011, Table 4) report a window network trained from scratch on this
 corpus at 79.53 test F1 with the word-level log-likelihood (each word classified on
 its own, as here) and 81.47 with a sentence-level log-likelihood that also scores tag
 transitions.
*/
extension Chapter01 {
    static let anchorWordLevel = 79.53
    static let anchorSentenceLevel = 81.47

    func trainOnCoNLL(_ data: DataDirectory) throws -> Results.CoNLL {
        say("\n## CoNLL-2003 English (\(data.root.path))")
        let clock = ContinuousClock()
        // the tag set is the training file's; dev and test are checked against it here,
        // before any training
        let corpus = try NERSplits(data)
        let (trainSet, dev, test) = (corpus.train, corpus.dev, corpus.test)
        let tags = NERTags(types: corpus.types)
        let trainWords = trainSet.map { $0.map(\.word) }
        let features = WindowFeatures(training: trainWords, minimumCount: minimumCount)
        say("train \(trainSet.count) sentences, dev \(dev.count), test \(test.count); "
              + "\(features.words.count) word and \(features.suffixes.count) suffix vectors")

        var generator = SeededGenerator(seed: options.seed &+ 1)
        let sizes = WindowClassifier<Float>.Sizes(
            words: features.words.count, prefixes: features.prefixes.count, suffixes: features.suffixes.count, hidden: hidden, classes: tags.all.count)
        let model = WindowClassifier<Float>(sizes, using: &generator)
        let windows = features.windows(trainWords)
        let labels = trainSet.flatMap { tags.ids($0.map(\.tag)) }

        /// Entity scores of each word's own best tag, and of the best well-formed sequence.
        func evaluate(_ sentences: [TaggedSentence]) -> (independent: EntityScores, wellFormed: EntityScores) {
            let words = sentences.map { $0.map(\.word) }
            let gold = sentences.map { $0.map(\.tag) }
            let perSentence = regroup(logProbabilities(model, windows: features.windows(words)), like: words)
            let independent = perSentence.map { rows in
                rows.map { row in tags.all[row.indices.max { row[$0] < row[$1] }!] }
            }
            let wellFormed = perSentence.map { rows in
                IOBDecoder.decode(logProbabilities: rows, tags: tags.all).map { tags.all[$0] }
            }
            return (EntityScores(gold: gold, predicted: independent), EntityScores(gold: gold, predicted: wellFormed))
        }

        let trainStart = clock.now
        try train(
            model, windows: windows, labels: labels,
            settings: TrainingSettings(
                epochs: epochs, batchSize: 64, learningRate: learningRate, dropout: dropout,
                wordDropout: wordDropout, unknownWordID: features.words.unknownID),
            using: &generator, label: "CoNLL", checkpoint: checkpoints.checkpointing(named: "chapter01-conll", first: false)
        ) { epoch, loss in
            let devScores = evaluate(dev)
            say(String(format: "epoch %d  train loss %.4f  dev F1 %6.2f (each word alone) %6.2f (well-formed)  (%.0f s)",
                       epoch, loss, devScores.independent.overall.f1, devScores.wellFormed.overall.f1,
                       (clock.now - trainStart).seconds))
        }
        let trainSeconds = (clock.now - trainStart).seconds
        let devScores = evaluate(dev), testScores = evaluate(test)
        say("\nEntity-level scores as conlleval counts them, tags decoded as well-formed sequences:")
        say("Dev (testa):")
        printScores(devScores.wellFormed)
        say("Test (testb):")
        printScores(testScores.wellFormed)
        say(String(format: """

            | CoNLL-2003 test F1                                                  |    F1 |
            |---------------------------------------------------------------------|-------|
            | this chapter: window classifier, each word's tag decided alone      | %5.2f |
            | this chapter: same classifier, best well-formed IOB2 sequence       | %5.2f |
            | Collobert et al. 2011, Table 4: window network, word-level (WLL)    | %5.2f |
            | Collobert et al. 2011, Table 4: window network, sentence-level (SLL)| %5.2f |
            """, testScores.independent.overall.f1, testScores.wellFormed.overall.f1,
            Self.anchorWordLevel, Self.anchorSentenceLevel))
        say(String(format: "Training took %.1f s (%d epochs).", trainSeconds, epochs))
        let testBest = testScores.wellFormed, devBest = devScores.wellFormed
        return Results.CoNLL(
            devF1: devBest.overall.f1, testF1: testBest.overall.f1,
            devF1Independent: devScores.independent.overall.f1, testF1Independent: testScores.independent.overall.f1,
            devPrecision: devBest.overall.precision, devRecall: devBest.overall.recall,
            testPrecision: testBest.overall.precision, testRecall: testBest.overall.recall,
            testF1ByType: Dictionary(uniqueKeysWithValues: testBest.types.map { ($0, testBest.byType[$0]!.f1) }),
            epochs: epochs, trainSeconds: trainSeconds,
            anchorWordLevelF1: Self.anchorWordLevel, anchorSentenceLevelF1: Self.anchorSentenceLevel)
    }
}
