import ChapterKit
import Classifiers
import Foundation
import NeuralKit
import TextData

/*: ## 1 · Sequence tagging: named entities

 Chapter 1 tagged each word from a fixed window of ±2 words. A recurrent tagger reads the
 whole sentence instead and emits a tag at every step from that step's hidden state:

 $$
 \begin{aligned}
 x^{(t)} &= \big[E[w^{(t)}];\, E_{cap}[\mathrm{cap}^{(t)}];\, E_{pre}[\mathrm{prefix}^{(t)}];\, E_{suf}[\mathrm{suffix}^{(t)}]\big] && \text{Chapter 1's word features} \\
 h^{(t)} &= \mathrm{LSTM}\big(x^{(t)}, h^{(t-1)}\big) && \text{left to right} \\
 \hat{y}^{(t)} &= \operatorname{softmax}\big(W_o h^{(t)} + b_o\big) && \text{one tag per word}
 \end{aligned}
 $$

 A left-to-right LSTM sees only the words before the current one: when it reaches "New"
 in "New York Times" it cannot know an organization follows. The bidirectional tagger
 runs a second LSTM from the last word back to the first and gives the classifier both
 states, [→h⁽ᵗ⁾; ←h⁽ᵗ⁾], so every tag is decided from the whole sentence.
 <!-- output: 1 · Named-entity tagging -->
*/

/// The per-word inputs of the NER models, with their vocabularies built from the
/// training sentences (words, prefixes and suffixes seen once share `<unk>`).
struct TaggingFeatures {
    let words: Vocabulary
    let prefixes: Vocabulary
    let suffixes: Vocabulary
    let tags: [String]

    init(training sentences: [TaggedSentence], minimumCount: Int = 2) {
        let tokens = sentences.joined().map(\.word)
        words = Vocabulary(counting: tokens.map(normalizedWord), minimumCount: minimumCount)
        prefixes = Vocabulary(counting: tokens.map { String(normalizedWord($0).prefix(3)) }, minimumCount: minimumCount)
        suffixes = Vocabulary(counting: tokens.map { String(normalizedWord($0).suffix(3)) }, minimumCount: minimumCount)
        tags = Set(sentences.joined().map(\.tag)).sorted()
    }

    /// One sentence as ids: four feature ids per word and its tag's index (−1 for a tag
    /// never seen in training; such a word still counts in the F1, as a miss).
    func encode(_ sentence: TaggedSentence) -> EncodedSentence {
        EncodedSentence(
            words: sentence.map { words.id(normalizedWord($0.word)) },
            capitals: sentence.map { Capitalization($0.word).rawValue },
            prefixes: sentence.map { prefixes.id(String(normalizedWord($0.word).prefix(3))) },
            suffixes: sentence.map { suffixes.id(String(normalizedWord($0.word).suffix(3))) },
            tags: sentence.map { tags.firstIndex(of: $0.tag) ?? -1 })
    }
}

struct EncodedSentence {
    var words: [Int], capitals: [Int], prefixes: [Int], suffixes: [Int], tags: [Int]
    var count: Int { words.count }
}

/// An LSTM tagger, left to right or bidirectional. Sizes: word vectors d, capitalization
/// 5, prefix and suffix 20 each; H per direction; the output layer reads H or 2H.
struct RecurrentTagger<Scalar: TensorScalar>: Layer {
    let words: Embedding<Scalar>
    let capitals: Embedding<Scalar>
    let prefixes: Embedding<Scalar>
    let suffixes: Embedding<Scalar>
    let forward: LSTMCell<Scalar>
    let backward: LSTMCell<Scalar>?
    let output: Linear<Scalar>
    var dropout: Double

    init(features: TaggingFeatures, wordSize: Int, affixSize: Int = 20, hiddenSize: Int, bidirectional: Bool,
         dropout: Double, name: String, using generator: inout SeededGenerator) {
        words = Embedding(vocabularySize: features.words.count, embeddingSize: wordSize, name: name, using: &generator)
        capitals = Embedding(table: Parameter("\(name).E_cap", .uniform([Capitalization.allCases.count, 5], bound: 0.1, using: &generator)))
        prefixes = Embedding(table: Parameter("\(name).E_pre", .uniform([features.prefixes.count, affixSize], bound: 0.1, using: &generator)))
        suffixes = Embedding(table: Parameter("\(name).E_suf", .uniform([features.suffixes.count, affixSize], bound: 0.1, using: &generator)))
        let inputSize = wordSize + 5 + 2 * affixSize
        forward = LSTMCell(inputSize: inputSize, hiddenSize: hiddenSize, name: bidirectional ? "\(name).fwd" : "\(name).lstm", using: &generator)
        backward = bidirectional ? LSTMCell(inputSize: inputSize, hiddenSize: hiddenSize, name: "\(name).bwd", using: &generator) : nil
        output = Linear(weight: Parameter("\(name).W_o", .glorot([features.tags.count, bidirectional ? 2 * hiddenSize : hiddenSize], using: &generator)),
                        bias: Parameter("\(name).b_o", .zeros([features.tags.count])))
        self.dropout = dropout
    }

    var parameters: [Parameter<Scalar>] {
        words.parameters + capitals.parameters + prefixes.parameters + suffixes.parameters + forward.parameters
            + (backward?.parameters ?? []) + output.parameters
    }

    /// Tag scores for a batch of sentences of one length T: (T·B × tags), time-major (the
    /// rows of step t are t·B ..< (t+1)·B).
    func logits(_ batch: [EncodedSentence], on tape: Tape<Scalar>, training: Bool = false,
                using generator: inout SeededGenerator) -> Variable<Scalar> {
        let steps = batch[0].count
        precondition(batch.allSatisfy { $0.count == steps }, "RecurrentTagger: a batch needs sentences of one length")
        func timeMajor(_ column: KeyPath<EncodedSentence, [Int]>) -> [Int] {
            (0..<steps).flatMap { t in batch.map { $0[keyPath: column][t] } }
        }
        var x = concatenate(columns: [
            words(timeMajor(\.words), on: tape, label: "E[w]"), capitals(timeMajor(\.capitals), on: tape, label: "E_cap[c]"),
            prefixes(timeMajor(\.prefixes), on: tape, label: "E_pre[p]"), suffixes(timeMajor(\.suffixes), on: tape, label: "E_suf[s]"),
        ])
        if training { x = NeuralKit.dropout(x, rate: dropout, using: &generator) }
        // `unroll` runs the cell's readable `step` at every t (no whole-window kernel here).
        let right = forward.unroll(x, steps: steps).map(\.hidden)
        var states = right
        if let backward {
            let left = backward.unroll(x, steps: steps, reversed: true).map(\.hidden)
            states = zip(right, left).map { concatenate(columns: [$0, $1]) }
        }
        var h = steps == 1 ? states[0] : concatenate(rows: states)
        if training { h = NeuralKit.dropout(h, rate: dropout, using: &generator) }
        return output(h)
    }

    /// The time-major tag labels of a batch, as `logits` orders its rows.
    static func labels(_ batch: [EncodedSentence]) -> [Int] {
        (0..<batch[0].count).flatMap { t in batch.map { $0.tags[t] } }
    }
}

/// How a tagger trains.
struct TaggerSettings {
    var epochs = 5
    var batchSize = 32
    var learningRate: Float = 1e-3
    var clip = 5.0
    var seed: UInt64 = 1
}

/// The tags of each sentence, each word's tag the most probable one.
func predictTags(_ tagger: RecurrentTagger<Float>, _ sentences: [EncodedSentence], tags: [String]) -> [[String]] {
    var out = [[String]](repeating: [], count: sentences.count)
    var unused = SeededGenerator(seed: 0)
    for batch in equalLengthBatches(sentences.map(\.count), batchSize: 256) {
        let tape = Tape<Float>()
        let y = tagger.logits(batch.map { sentences[$0] }, on: tape, using: &unused).value
        let b = batch.count
        for (i, index) in batch.enumerated() {
            out[index] = (0..<sentences[index].count).map { t in
                let row = y.row(t * b + i)
                return tags[row.indices.max { row[$0] < row[$1] }!]
            }
        }
    }
    return out
}

/// Trains with Adam on equal-length batches; after each epoch scores dev F1 and keeps the
/// parameters of the best epoch. Returns dev F1 per epoch. With `checkpoint`, saves after
/// every epoch and resumes bit for bit (``CheckpointedTraining``).
func trainTagger(
    _ tagger: RecurrentTagger<Float>, train: [EncodedSentence], dev: [EncodedSentence], devGold: [[String]],
    tags: [String], settings: TaggerSettings, label: String, checkpoint: Checkpointing? = nil
) throws -> [Double] {
    var run = try CheckpointedTraining(
        parameters: tagger.parameters, optimizer: Adam<Float>(learningRate: settings.learningRate),
        generator: SeededGenerator(seed: settings.seed), history: [Double](), checkpoint: checkpoint,
        format: "neural-nlp-course tagger checkpoint, version 1",
        identity: ["batch_size": "\(settings.batchSize)", "clip": "\(settings.clip)", "seed": "\(settings.seed)",
                   "tags": tags.joined(separator: " "), "train_sentences": "\(train.count)"])
    defer { Interruption.end() }
    let parameters = tagger.parameters
    for epoch in try run.epochs(upTo: settings.epochs) ?? 1...0 {
        run.startEpoch()
        let batches = equalLengthBatches(train.map(\.count), batchSize: settings.batchSize, shuffledBy: &run.generator)
        var progress = ProgressBar("\(label) epoch \(epoch)/\(settings.epochs)", total: batches.count)
        let (first, sums) = try run.resumePoint(sums: [0, 0])
        var total = sums[0], words = Int(sums[1])
        for (step, indices) in batches.enumerated().dropFirst(first) {
            let batch = indices.map { train[$0] }
            let value = try trainingStep(parameters, optimizer: &run.optimizer, clip: settings.clip, epoch: epoch, step: step + 1) { tape in
                softmaxCrossEntropy(logits: tagger.logits(batch, on: tape, training: true, using: &run.generator),
                                    labels: RecurrentTagger<Float>.labels(batch))
            }
            let n = batch.count * batch[0].count
            total += value * Double(n)
            words += n
            progress.update(step + 1, status: String(format: "loss %.4f", total / Double(words)))
            try run.stopIfInterrupted(epoch: epoch, step: step + 1, of: batches.count, sums: [total, Double(words)])
        }
        progress.finish()
        try TrainingError.checkFinite(parameters, epoch: epoch, step: batches.count)
        let f1 = EntityScores(gold: devGold, predicted: predictTags(tagger, dev, tags: tags)).overall.f1
        say(String(format: "  %@ epoch %d: training loss %.4f, dev F1 %.2f", label as NSString, epoch, total / Double(words), f1))
        run.history.append(f1)
        run.keepIfBest(f1)
        try run.endEpoch(epoch, steps: batches.count)
    }
    run.finish()
    return run.history
}
