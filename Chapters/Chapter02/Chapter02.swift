import ArgumentParser
import ChapterKit
import Classifiers
import FigureKit
import Foundation
import NeuralKit
import TextData

// Reading order: CommandLine.swift

/*: # Chapter 2 · The Deep Averaging Network

 Chapter 1 classified one word from a window around it. To classify a whole sentence,
 say whether a film review is positive or negative, we need one vector for a sentence of
 any length. The simplest composition there is: take the mean of the words' vectors,
 then let a couple of feed-forward layers turn that mean into a decision (Iyyer et al.
 2015, "Deep Unordered Composition Rivals Syntactic Methods for Text Classification"):

 $$
 \begin{aligned}
 av &= \frac{1}{|s|} \sum_{w \in s} E[w] && \text{the sentence's average word vector} \\
 h_1 &= f(W_1\, av + b_1) && \text{first layer, } f = \mathrm{ReLU} \\
 h_2 &= f(W_2 h_1 + b_2) && \text{second layer} \\
 \hat{y} &= \operatorname{softmax}(W_s h_2 + b_s) && \text{class probabilities}
 \end{aligned}
 $$

 The average throws away word order, and the chapter measures both what that costs and
 how little it costs on real reviews.

 The network lives in the library, since Chapter 9 compares it with its LSTMs. `average`
 is the first line of the equations (`segmentMean` averages each sentence's rows of E),
 `logits` the rest, before the softmax; `keptWords` is word dropout, described below:

 <!-- code: Sources/Classifiers/DeepAveragingNetwork.swift DeepAveragingNetwork -->

 The chapter first reads the sentiment treebank (or the bundled sample) and its vocabulary:
 <!-- output: (opening) -->
*/
/// What Chapter 2 computes and prints, in order; its options are in CommandLine.swift.
extension Chapter02 {
    static let title = "Chapter 2 · The Deep Averaging Network"

    func story(_ results: inout Results) throws {
        let corpus = try SentimentCorpus.load(dataDirectory: options.dataDir, phrases: trainOn == .phrases)
        let vocabulary = corpus.vocabulary()
        say("Data: \(corpus.source)")
        say("  \(corpus.train.sentences.count) training sentences (\(corpus.train.phrases.count) distinct labelled phrases), "
            + "\(corpus.dev.count) dev, \(corpus.test.count) test; vocabulary \(vocabulary.count) words (seen twice or more, plus <unk>)")

        var generator = SeededGenerator(seed: options.seed)
        try drawGraph(to: figures, using: &generator)

        for task in SentimentTask.allCases {
            let outcome = try experiment(task, corpus: corpus, vocabulary: vocabulary)
            results.tasks[task.rawValue] = outcome
        }
        results.devAccuracy = results.tasks["binary"]?.devAccuracy ?? 0
        results.testAccuracy = results.tasks["binary"]?.testAccuracy ?? 0
        printTable(results)
    }

    /*: ## The computation graph

     One sentence, "not a good film", through a DAN with tiny sizes (d = 4, H = 3): the
     four word vectors are gathered from E, averaged into one vector, and from there the
     network is Chapter 1's feed-forward classifier. The graph has the same shape for a
     sentence of any length; only the number of rows gathered changes.
     <!-- output: The computation graph of -->
    */
    func drawGraph(to figures: URL, using generator: inout SeededGenerator) throws {
        let words = ["not", "a", "good", "film"]
        let tiny = DeepAveragingNetwork<Float>(vocabularySize: words.count, embeddingSize: 4, hiddenSize: 3, classes: 2,
                                        wordDropout: 0, using: &generator)
        let tape = Tape<Float>()
        let probabilities = softmax(tiny.logits([Array(0..<words.count)], on: tape, training: false, using: &generator))
        let graph = ComputationGraph(tape: tape, output: probabilities,
                                     title: "DAN on \"not a good film\": av = mean of E[w], h = ReLU(W h + b) twice, ŷ = softmax(W_s h₂ + b_s)")
        let urls = try GraphvizRenderer.render(graph, to: figures, name: "chapter02-dan")
        say("\n## The computation graph of \"not a good film\" (d = 4, H = 3)\nFigure: " + urls.map(\.relativePath).joined(separator: ", "))
    }

    /*: ## Training and the worked example

     Each task trains a fresh DAN with Adam on mini-batches, with word dropout: every word
     of a training sentence is left out of the average with probability 0.3, so the
     network cannot hang its decision on one word. Dev accuracy after each epoch picks the
     epoch whose parameters are kept; test accuracy is measured once, at the end.

     The worked example follows one short sentence through the network before and after
     training: its average vector (the first few of its d numbers) and its class
     probabilities.
     <!-- output: Binary (SST-2) -->
     <!-- output: Fine-grained (SST-5) -->
    */
    func experiment(_ task: SentimentTask, corpus: SentimentCorpus, vocabulary: Vocabulary) throws -> TaskResult {
        let units = trainOn == .phrases ? corpus.train.phrases : corpus.train.sentences
        let train = EncodedSentences(units, task: task, vocabulary: vocabulary)
        let dev = EncodedSentences(corpus.dev, task: task, vocabulary: vocabulary)
        let test = EncodedSentences(corpus.test, task: task, vocabulary: vocabulary)
        say("\n## \(task == .binary ? "Binary (SST-2): negative or positive" : "Fine-grained (SST-5): five classes")\n")
        say("Training on \(train.count) \(trainOn.rawValue), class counts \(train.classCounts(task.classes)); "
            + "dev \(dev.count), test \(test.count) sentences")
        var generator = SeededGenerator(seed: options.seed)
        let model = DeepAveragingNetwork<Float>(vocabularySize: vocabulary.count, embeddingSize: embedding, hiddenSize: hidden,
                                         layers: layers, classes: task.classes, wordDropout: wordDropout, using: &generator)
        let count = model.parameters.parameterCount()
        let formula = vocabulary.count * embedding + (hidden * embedding + hidden) + (layers - 1) * (hidden * hidden + hidden)
            + task.classes * hidden + task.classes
        say("Parameters: V·d + (H·d + H) + \(layers - 1)·(H·H + H) + (C·H + C) = \(formula); counted from the model: \(count)")

        let example = ["the", "film", "is", "not", "good"]
        let exampleIDs = example.map(vocabulary.id)
        say("\nWorked example: \"\(example.joined(separator: " "))\" (ids \(exampleIDs))")
        let before = describe(model, exampleIDs, task)
        say("  before training: " + before)

        var settings = ClassifierSettings()
        settings.epochs = epochs ?? (options.dataDir == nil ? 12 : 6)
        settings.batchSize = batchSize
        settings.learningRate = learningRate
        settings.seed = options.seed
        let checkpoint = checkpoints.checkpointing(named: "chapter02-dan-\(task.rawValue)", first: task == SentimentTask.allCases.first)
        let history = try trainClassifier(model, on: train, dev: dev, settings: settings, label: "DAN \(task.rawValue)",
                                          checkpoint: checkpoint)
        for epoch in history {
            say(String(format: "  epoch %2d  loss %.4f  dev accuracy %.2f%%  (%.1f s)", epoch.epoch, epoch.loss, epoch.devAccuracy, epoch.seconds))
        }
        let bestEpoch = history.max { $0.devAccuracy < $1.devAccuracy }!.epoch
        let after = describe(model, exampleIDs, task)
        say("  after training (epoch \(bestEpoch), best on dev): " + after)
        let devAccuracy = accuracy(model, on: dev), testAccuracy = accuracy(model, on: test)
        say(String(format: "Accuracy: dev %.2f%%, test %.2f%%", devAccuracy, testAccuracy))

        if task == .binary { orderClaim(model, vocabulary: vocabulary, task: task) }
        return TaskResult(devAccuracy: devAccuracy, testAccuracy: testAccuracy, parameters: count, bestEpoch: bestEpoch,
                          trainingUnits: train.count, history: history)
    }

    func describe(_ model: DeepAveragingNetwork<Float>, _ ids: [Int], _ task: SentimentTask) -> String {
        let tape = Tape<Float>()
        let average = model.average([ids], on: tape).value
        let shown = average.scalars.prefix(5).map { String(format: "%+.3f", Double($0)) }.joined(separator: ", ")
        let p = classProbabilities(model, [ids])[0]
        let classes = zip(task.classNames, p).map { String(format: "%@ %.3f", $0 as NSString, $1) }.joined(separator: ", ")
        return "av = [\(shown), …]; P = \(classes)"
    }

    /*: ## What the average cannot see

     Averaging is commutative: any reordering of a sentence's words gives the same average
     (up to the rounding of a floating-point sum taken in another order), so the same
     prediction. "not good" and "good not" are one input to a DAN. So are "the plot is
     good , the acting is not" and "the plot is not good , the acting is": opposite
     reviews, one average. What the network can still learn is that "not" pulls the
     average somewhere, whatever it negates. (The binary task's results above end with
     this check.) Last, the accuracies beside the published DAN's:
     <!-- output: Results beside the published DAN -->
    */
    func orderClaim(_ model: DeepAveragingNetwork<Float>, vocabulary: Vocabulary, task: SentimentTask) {
        say("\nWord order, invisible to the average:")
        let pairs = [("not good", "good not"),
                     ("the plot is good , the acting is not", "the plot is not good , the acting is")]
        for (a, b) in pairs {
            let ids = [a, b].map { $0.split(separator: " ").map { vocabulary.id(String($0)) } }
            let p = classProbabilities(model, ids)
            let tape = Tape<Float>()
            let averages = model.average([ids[0]], on: tape).value.scalars, other = model.average([ids[1]], on: tape).value.scalars
            let difference = zip(averages, other).map { abs(Double($0) - Double($1)) }.max() ?? 0
            say(String(format: "  \"%@\" → P(positive) %.4f;  \"%@\" → P(positive) %.4f;  largest difference of the averages %.1e",
                       a as NSString, p[0][1], b as NSString, p[1][1], difference))
        }
    }

    func printTable(_ results: Results) {
        say("\n## Results beside the published DAN\n")
        say("| model | SST-2 dev | SST-2 test | SST-5 dev | SST-5 test |")
        say("| --- | ---: | ---: | ---: | ---: |")
        let binary = results.tasks["binary"], fine = results.tasks["fine"]
        say(String(format: "| this DAN (word vectors learned from scratch, trained on %@) | %.1f | %.1f | %.1f | %.1f |",
                   trainOn.rawValue as NSString, binary?.devAccuracy ?? 0, binary?.testAccuracy ?? 0,
                   fine?.devAccuracy ?? 0, fine?.testAccuracy ?? 0))
        say("| Iyyer et al. 2015, DAN (pre-trained 300-d GloVe vectors, phrases) | – | 86.3 | – | 47.7 |")
        say("\nThe published DAN starts from pre-trained GloVe word vectors (learned from billions of")
        say("words of web text); ours start random and learn from the treebank's 8,544 training")
        say("sentences alone, so a word that is rare there stays close to its random start. That")
        say("difference, not the model, is most of the gap.")
        if options.dataDir == nil { say("(On the bundled made-up sample these numbers say only that training works.)") }
    }
}

/// What a DAN trains on.
enum TrainingUnits: String, ExpressibleByArgument, CaseIterable {
    case phrases, sentences
}

// book: details What --json FILE writes
/// One task's outcome.
struct TaskResult: Encodable {
    var devAccuracy = 0.0
    var testAccuracy = 0.0
    var parameters = 0
    var bestEpoch = 0
    var trainingUnits = 0
    var history: [ClassifierEpoch] = []
}

/// What `--json FILE` writes: `dev_accuracy` and `test_accuracy` are the binary task's.
struct Results: Encodable {
    var devAccuracy = 0.0
    var testAccuracy = 0.0
    var tasks: [String: TaskResult] = [:]
    var seconds = 0.0
}
