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
        print("\n## CoNLL-2003 English (\(data.root.path))")
        let clock = ContinuousClock()
        let trainSet = try CoNLLReader.read(data.conllTrain)
        let dev = try CoNLLReader.read(data.conllDev)
        let test = try CoNLLReader.read(data.conllTest)
        let trainWords = trainSet.map { $0.map(\.word) }
        let features = WindowFeatures(training: trainWords)
        print("train \(trainSet.count) sentences, dev \(dev.count), test \(test.count); "
              + "\(features.words.count) word and \(features.suffixes.count) suffix vectors")

        var generator = SeededGenerator(seed: seed &+ 1)
        let sizes = WindowClassifier<Float>.Sizes(
            words: features.words.count, suffixes: features.suffixes.count, hidden: hidden, classes: NERTags.all.count)
        let model = WindowClassifier<Float>(sizes, using: &generator)
        let windows = features.windows(trainWords)
        let labels = trainSet.flatMap { NERTags.ids($0.map(\.tag)) }

        func evaluate(_ sentences: [TaggedSentence]) -> EntityScores {
            let words = sentences.map { $0.map(\.word) }
            let tags = predict(model, windows: features.windows(words)).map { NERTags.all[$0] }
            return EntityScores(gold: sentences.map { $0.map(\.tag) }, predicted: regroup(tags, like: words))
        }

        let trainStart = clock.now
        try train(
            model, windows: windows, labels: labels,
            settings: TrainingSettings(epochs: epochs, batchSize: 64, learningRate: learningRate, dropout: dropout),
            using: &generator, label: "CoNLL"
        ) { epoch, loss in
            let devScores = evaluate(dev)
            print(String(format: "epoch %d  train loss %.4f  dev F1 %6.2f  (%.0f s)",
                         epoch, loss, devScores.overall.f1, (clock.now - trainStart).seconds))
        }
        let trainSeconds = (clock.now - trainStart).seconds
        let devScores = evaluate(dev), testScores = evaluate(test)
        print("\nDev (testa), entity level as conlleval counts it:")
        printScores(devScores)
        print("Test (testb):")
        printScores(testScores)
        print(String(format: """

            | CoNLL-2003 test F1                                          |    F1 |
            |-------------------------------------------------------------|-------|
            | this chapter: window classifier, word-level softmax         | %5.2f |
            | Collobert et al. 2011, Table 4: window NN, word-level (WLL)  | %5.2f |
            | Collobert et al. 2011, Table 4: window NN, sentence-level    | %5.2f |
            """, testScores.overall.f1, Self.anchorWordLevel, Self.anchorSentenceLevel))
        print(String(format: "Training took %.1f s (%d epochs).", trainSeconds, epochs))
        return Results.CoNLL(
            devF1: devScores.overall.f1, testF1: testScores.overall.f1,
            devPrecision: devScores.overall.precision, devRecall: devScores.overall.recall,
            testPrecision: testScores.overall.precision, testRecall: testScores.overall.recall,
            testF1ByType: Dictionary(uniqueKeysWithValues: testScores.types.map { ($0, testScores.byType[$0]!.f1) }),
            epochs: epochs, trainSeconds: trainSeconds,
            anchorWordLevelF1: Self.anchorWordLevel, anchorSentenceLevelF1: Self.anchorSentenceLevel)
    }
}
