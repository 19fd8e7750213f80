import ArgumentParser
import ChapterKit
import FigureKit
import Foundation
import NeuralKit
import TextData

// Reading order: Windows.swift, WindowClassifier.swift, HandGradient.swift, Training.swift, Decoding.swift, Chapter01.swift, CoNLLExperiment.swift, Results.swift, CommandLine.swift

/*: # Chapter 1 · Named-entity recognition by window classification

 Named-entity recognition finds the names in a text and says what each one names: a
 person (PER), a location (LOC), an organization (ORG) or something else (MISC). Labelled
 word by word, "Samuel Quinn was arrested in the Hilton Hotel in Paris" marks Samuel and
 Quinn as PER, Hilton and Hotel as ORG, and Paris as LOC.

 The simplest neural answer classifies each word on its own, from the word and its
 neighbours: a *window* of two words on either side. This chapter builds that classifier
 step by step on the slides' example, checks its gradient, then trains it on the
 CoNLL-2003 English corpus and scores it the way the shared task did.
*/

/// What Chapter 1 computes and prints, in order; its options are in CommandLine.swift.
extension Chapter01 {
    static let title = "Chapter 1 · NER by window classification"

    func story(_ results: inout Results) throws {
        results = try walkThroughSample()
        if let dataDir = options.dataDir {
            results.conll = try trainOnCoNLL(DataDirectory(dataDir))
        }
    }
}


/// Entity tags in IOB2 (every entity starts with B-): the softmax classifier's classes,
/// O then B- and I- of each entity type of the training sentences (C = 9 for CoNLL-2003's
/// PER, LOC, ORG and MISC; other corpora have other types, six or eighteen).
struct NERTags {
    let all: [String]
    let index: [String: Int]

    /// CoNLL-2003's four types come first, in the order this chapter has always used (the
    /// classes' order decides which output row gets which random start, so it is kept and
    /// the printed results with it); any other types follow, sorted.
    init(types: [String]) {
        let conll2003 = ["PER", "LOC", "ORG", "MISC"]
        let ordered = conll2003.filter(types.contains) + types.filter { !conll2003.contains($0) }.sorted()
        all = ["O"] + ordered.flatMap { ["B-\($0)", "I-\($0)"] }
        index = Dictionary(uniqueKeysWithValues: all.enumerated().map { ($1, $0) })
    }

    /// CoNLL-2003's nine tags.
    static let conll2003 = NERTags(types: ["PER", "LOC", "ORG", "MISC"])

    /// The tags of the entity types in `sentences`.
    init(training sentences: [TaggedSentence]) { self.init(types: CoNLLReader.entityTypes(sentences)) }

    /// Class ids of a sentence's tags (IOB1 or IOB2 in, IOB2 classes out). Every type must
    /// be one of the tag set's: `NERSplits` checks dev and test against training on reading.
    func ids(_ tags: [String]) -> [Int] {
        iob2Tags(tags).map { tag in
            guard let id = index[tag] else { preconditionFailure("NERTags: \(tag) is not among \(all)") }
            return id
        }
    }
}

extension Chapter01 {
    /*: ## 1. The slides' example, on the bundled sample

     The sample is a few hundred short sentences written for this package in the CoNLL
     layout, enough to run every step in a second. Its first sentence is the slides'.
     <!-- output: (opening) -->
    */
    func walkThroughSample() throws -> Results {
        var results = Results()
        let sentences = try CoNLLReader.read(SampleData.url("ner-sample.conll"))
        let split = sentences.count * 4 / 5
        let trainSentences = Array(sentences[..<split]), heldOut = Array(sentences[split...])
        let tags = NERTags(training: trainSentences)
        let words = trainSentences.map { $0.map(\.word) }
        let features = WindowFeatures(training: words)

        let example = sentences[0].map(\.word)
        let center = example.firstIndex(of: "Paris")!
        let window = WindowFeatures.windowWords(example, center: center)
        say("Sentence:  \(example.joined(separator: " "))")
        say("Window of ±\(WindowFeatures.halfWidth) centred on \"Paris\":  [\(window.joined(separator: "  "))]")

        var generator = SeededGenerator(seed: options.seed)
        var sizes = WindowClassifier<Float>.Sizes(
            words: features.words.count, prefixes: features.prefixes.count, suffixes: features.suffixes.count, hidden: hidden, classes: 1)
        let binary = WindowClassifier<Float>(sizes, using: &generator)
        let parisWindow = features.windows([example]).select([center])
        let x = binary.windowVectors(parisWindow, on: Tape())
        say("""
            Each word is d = \(sizes.wordEmbedding) (word) + \(sizes.capitalizationEmbedding) (capitalization) \
            + \(sizes.prefixEmbedding) (prefix) + \(sizes.suffixEmbedding) (suffix) = \(sizes.wordVector) numbers,
            so the window is x ∈ R^\(x.shape[1]) = R^(5·\(sizes.wordVector)).
            """)
        results.windowDimension = x.shape[1]
        results.wordVectorDimension = sizes.wordVector

        /*: ## 2. The binary classifier J = σ(uᵀ f(Wx + b))

         Untrained, the weights are random and J hovers near ½: the model has no opinion.
         We train it on the sample's windows with label 1 when the centre word is part of
         a location, and ask again.
         <!-- output: Binary classifier: -->
        */
        let trainWindows = features.windows(words)
        let isLocation = trainSentences.flatMap { $0.map { $0.tag.hasSuffix("LOC") ? 1 : 0 } }
        func report(_ when: String) -> (score: Double, probability: Double) {
            let s = Double(binary.scores(parisWindow, on: Tape()).value.scalar)
            let j = Double(binary.probabilities(parisWindow).scalar)
            say(String(format: "%@: s = uᵀh = %+.4f,  J = σ(s) = %.4f", when, s, j))
            return (s, j)
        }
        say("\n## Binary classifier: is the centre word a location?")
        let before = report("Before training")
        let binaryLosses = try train(
            binary, windows: trainWindows, labels: isLocation,
            settings: TrainingSettings(epochs: 10, batchSize: 32, learningRate: 1e-3),
            using: &generator, label: "binary", checkpoint: checkpoints.checkpointing(named: "chapter01-binary"))
        let after = report("After training ")
        say(String(format: "Training loss: %.4f (epoch 1) → %.4f (epoch %d)",
                     binaryLosses.first!, binaryLosses.last!, binaryLosses.count))
        results.binary = .init(
            scoreBefore: before.score, probabilityBefore: before.probability,
            scoreAfter: after.score, probabilityAfter: after.probability,
            lossFirstEpoch: binaryLosses.first!, lossLastEpoch: binaryLosses.last!)

        /*: ## 3. Checking the gradient of J

         Backpropagation gives ∂J/∂θ for every parameter at once. To trust it we compare
         every entry with a central difference (J(θ + h) − J(θ − h)) / 2h, computed in
         Double on a small copy of the model. The relative errors should be around 1e-9:
         far below anything a bug would leave. The score and its gradient written out by
         hand (`HandGradient.swift`) must agree with the tape to rounding.
         <!-- output: Gradient check of J -->
         <!-- output: The score and its gradient by the formulas -->
        */
        say("\n## Gradient check of J (central differences, Double, relative error per parameter)")
        let check = gradientCheckOfJ(features: features, window: parisWindow, seed: options.seed)
        for (name, error) in check.errors {
            say("  \(name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(formatScientific(error))")
        }
        results.gradientCheckMaxRelativeError = check.maxRelativeError
        let byHand = handGradientDifferences(features: features, window: parisWindow, seed: options.seed)
        say("\n## The score and its gradient by the formulas (HandGradient.swift), against the tape")
        // HandGradient.swift calls the C library's tanh, whose last bit differs between C
        // libraries: a difference at rounding level is printed as such, so the output is the
        // same on every machine.
        for (name, difference) in byHand {
            let shown = difference < 1e-14 ? "below 1e-14 (rounding)" : formatScientific(difference)
            say("  \(name.padding(toLength: 12, withPad: " ", startingAt: 0)) largest difference \(shown)")
        }

        /*: ## 4. The softmax classifier over entity tags

         In practice one classifier chooses among all the tags at once: U has one row per
         tag (O, B-PER, I-PER, B-LOC, …), and the softmax turns the nine scores into
         probabilities. Entities are then scored whole, as the CoNLL `conlleval` script
         does: a predicted entity counts only if its span and type are both exactly right.
         <!-- output: Softmax classifier over -->
        */
        say("\n## Softmax classifier over the \(tags.all.count) IOB2 tags")
        sizes.classes = tags.all.count
        let tagger = WindowClassifier<Float>(sizes, using: &generator)
        let tagLabels = trainSentences.flatMap { tags.ids($0.map(\.tag)) }
        let taggerLosses = try train(
            tagger, windows: trainWindows, labels: tagLabels,
            settings: TrainingSettings(epochs: 10, batchSize: 32, learningRate: 1e-3),
            using: &generator, label: "softmax", checkpoint: checkpoints.checkpointing(named: "chapter01-softmax", first: false))
        let distribution = tagger.probabilities(parisWindow).scalars
        let top = distribution.enumerated().sorted { $0.element > $1.element }.prefix(3)
        say("P(tag | window of \"Paris\"): " + top.map { String(format: "%@ %.3f", tags.all[$0.offset], Double($0.element)) }.joined(separator: ", "))
        let heldOutWords = heldOut.map { $0.map(\.word) }
        let predicted = regroup(predict(tagger, windows: features.windows(heldOutWords)).map { tags.all[$0] }, like: heldOutWords)
        let sampleScores = EntityScores(gold: heldOut.map { $0.map(\.tag) }, predicted: predicted)
        say("Held-out sample sentences (\(heldOut.count); built from a few templates, so easy: "
            + "CoNLL-2003 with --data-dir is the real test):")
        printScores(sampleScores)
        results.softmax = .init(
            lossFirstEpoch: taggerLosses.first!, lossLastEpoch: taggerLosses.last!,
            heldOutF1: sampleScores.overall.f1)

        /*: ## 5. The computation graphs

         The same tape that computed the gradients draws the figures: every box is a node
         that ran, every arrow an input it read. Parameters are blue, data white, the
         output green.
         <!-- output: Figures: -->
        */
        try renderFigures(binary: binary, tagger: tagger, window: parisWindow, label: tags.ids(sentences[0].map(\.tag))[center])
        return results
    }

    func renderFigures(binary: WindowClassifier<Float>, tagger: WindowClassifier<Float>, window: WindowBatch, label: Int) throws {
        let tape = Tape<Float>()
        let j = sigmoid(binary.scores(window, on: tape))
        let binaryGraph = ComputationGraph(tape: tape, output: j, title: "Binary window classifier: J = σ(uᵀ tanh(Wx + b))")
        let softmaxTape = Tape<Float>()
        let loss = softmaxCrossEntropy(logits: tagger.scores(window, on: softmaxTape), labels: [label])
        let softmaxGraph = ComputationGraph(
            tape: softmaxTape, output: loss, title: "Softmax window classifier: cross-entropy of softmax(U tanh(Wx + b) + c)")
        var written: [URL] = []
        written += try GraphvizRenderer.render(binaryGraph, to: figures, name: "chapter01-binary-classifier")
        written += try GraphvizRenderer.render(softmaxGraph, to: figures, name: "chapter01-softmax-classifier")
        say("\nFigures: " + written.map(\.relativePath).joined(separator: ", "))
    }
}

/*: ### The checks of step 3, and the score table

 Both checks of step 3 run on a small copy of the binary model in Double (word vectors of
 4 numbers, H = 6), where rounding is far below the differences a bug would leave: the
 central differences for every parameter, then the hand-written score and gradient against
 what the tape computes. The last helpers print the entity scores as `conlleval` does.
*/

/// The gradient check of J = σ(uᵀ tanh(Wx + b)) for one window, on a small Double copy of
/// the binary model (every parameter, embeddings included).
func gradientCheckOfJ(features: WindowFeatures, window: WindowBatch, seed: UInt64) -> GradientCheckResult {
    var generator = SeededGenerator(seed: seed)
    let sizes = WindowClassifier<Double>.Sizes(
        words: features.words.count, prefixes: features.prefixes.count, suffixes: features.suffixes.count,
        wordEmbedding: 4, capitalizationEmbedding: 2, prefixEmbedding: 2, suffixEmbedding: 3, hidden: 6, classes: 1)
    let model = WindowClassifier<Double>(sizes, using: &generator)
    return gradientCheck(model.parameters) { tape in sum(sigmoid(model.scores(window, on: tape))) }
}

/// s and ∂s/∂u, ∂s/∂b, ∂s/∂W, ∂s/∂x from `windowScore` and `windowScoreGradients`, each
/// compared with what the tape computes for the same small Double model: the largest
/// absolute difference per quantity.
func handGradientDifferences(features: WindowFeatures, window: WindowBatch, seed: UInt64) -> [(String, Double)] {
    var generator = SeededGenerator(seed: seed)
    let sizes = WindowClassifier<Double>.Sizes(
        words: features.words.count, prefixes: features.prefixes.count, suffixes: features.suffixes.count,
        wordEmbedding: 4, capitalizationEmbedding: 2, prefixEmbedding: 2, suffixEmbedding: 3, hidden: 6, classes: 1)
    let model = WindowClassifier<Double>(sizes, using: &generator)
    let tape = Tape<Double>()
    let xVariable = model.windowVectors(window.select(0..<1), on: tape)
    let score = model.output(tanh(model.hidden(xVariable)))
    tape.backward(from: sum(score))
    let x = xVariable.value.scalars, w = model.hidden.weight.value
    let weight = (0..<w.rows).map { w.row($0) }
    let b = model.hidden.bias!.value.scalars, u = model.output.weight.value.scalars
    let c = model.output.bias?.value.scalars[0] ?? 0
    let gradients = windowScoreGradients(x: x, W: weight, b: b, u: u)
    func largest(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).map { Swift.abs($0 - $1) }.max() ?? 0 }
    let result = [
        ("s", Swift.abs(windowScore(x: x, W: weight, b: b, u: u) + c - score.value.scalars[0])),
        ("∂s/∂u", largest(gradients.u, model.output.weight.gradient.scalars)),
        ("∂s/∂b", largest(gradients.b, model.hidden.bias!.gradient.scalars)),
        ("∂s/∂W", largest(gradients.W.flatMap { $0 }, model.hidden.weight.gradient.scalars)),
        ("∂s/∂x", largest(gradients.x, tape.gradient(of: xVariable)!.scalars)),
    ]
    model.parameters.zeroGradients()
    return result
}

/// Splits a flat list of per-token values back into sentences of the given lengths.
func regroup<T>(_ flat: [T], like sentences: [[String]]) -> [[T]] {
    var out: [[T]] = []
    var start = 0
    for s in sentences {
        out.append(Array(flat[start..<(start + s.count)]))
        start += s.count
    }
    return out
}

func printScores(_ scores: EntityScores) {
    for line in scoreTable(scores) { say(line) }
}

/// One row per entity type, sorted, then the overall row, as conlleval prints them.
func scoreTable(_ scores: EntityScores) -> [String] {
    // as wide as the longest type name (OntoNotes has WORK_OF_ART), never narrower than 8
    let width = max(8, scores.types.map(\.count).max() ?? 0)
    func row(_ name: String, _ c: EntityScores.Counts) -> String {
        "  " + name.padding(toLength: width, withPad: " ", startingAt: 0)
            + String(format: " precision %6.2f  recall %6.2f  F1 %6.2f  (%d found, %d gold)",
                     c.precision, c.recall, c.f1, c.predicted, c.gold)
    }
    return scores.types.map { row($0, scores.byType[$0]!) } + [row("overall", scores.overall)]
}
