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
 states, [→h⁽ᵗ⁾; ←h⁽ᵗ⁾], so every tag is decided from the whole sentence. The third
 tagger replaces the softmax with a CRF that scores whole tag sequences (below).
 <!-- output: 1 · Named-entity tagging -->
*/

/// The per-word inputs of the NER models, with their vocabularies built from the
/// training sentences (every word; prefixes, suffixes and characters seen fewer than
/// `minimumCount` times share `<unk>`).
struct TaggingFeatures {
    let words: Vocabulary
    /// The ids of the words seen once in training. Training reads each of them as `<unk>`
    /// half the time (Lample et al. 2016), so that `<unk>`, the vector of every word never
    /// seen, is trained on the kind of word that is rare.
    let singletons: Set<Int>
    let prefixes: Vocabulary
    let suffixes: Vocabulary
    /// The characters of the training words, as written (case kept), for the spelling
    /// BiLSTM; a character seen once shares `<unk>`.
    let characters: Vocabulary
    let tags: [String]

    init(training sentences: [TaggedSentence], minimumCount: Int = 2) {
        let tokens = sentences.joined().map(\.word)
        var counts: [String: Int] = [:]
        for word in tokens.map(normalizedWord) { counts[word, default: 0] += 1 }
        words = Vocabulary(counts: counts)
        singletons = Set(counts.filter { $0.value == 1 }.map { [words] in words.id($0.key) })
        prefixes = Vocabulary(counting: tokens.map { String(normalizedWord($0).prefix(3)) }, minimumCount: minimumCount)
        suffixes = Vocabulary(counting: tokens.map { String(normalizedWord($0).suffix(3)) }, minimumCount: minimumCount)
        characters = Vocabulary(counting: tokens.flatMap { $0.map(String.init) }, minimumCount: minimumCount)
        tags = Set(sentences.flatMap { iob2Tags($0.map(\.tag)) }).sorted()
    }

    /// Whether tag `next` may follow tag `previous` (nil: the sentence start) in IOB2: I-X
    /// only right after B-X or I-X. Tags are indices into `tags`.
    func allowed(_ previous: Int?, _ next: Int) -> Bool { iob2Allows(previous.map { tags[$0] }, tags[next]) }

    /// One sentence as ids: four feature ids per word and its tag's index in IOB2 (IOB1
    /// tags are converted; −1 for a tag never seen in training, a word that still counts
    /// in the F1, as a miss).
    func encode(_ sentence: TaggedSentence) -> EncodedSentence {
        EncodedSentence(
            words: sentence.map { words.id(normalizedWord($0.word)) },
            capitals: sentence.map { Capitalization($0.word).rawValue },
            prefixes: sentence.map { prefixes.id(String(normalizedWord($0.word).prefix(3))) },
            suffixes: sentence.map { suffixes.id(String(normalizedWord($0.word).suffix(3))) },
            characters: sentence.map { $0.word.map { characters.id(String($0)) } },
            tags: iob2Tags(sentence.map(\.tag)).map { tags.firstIndex(of: $0) ?? -1 })
    }
}

struct EncodedSentence {
    var words: [Int], capitals: [Int], prefixes: [Int], suffixes: [Int], characters: [[Int]], tags: [Int]
    var count: Int { words.count }
}

/// An LSTM tagger, left to right or bidirectional, with a softmax per word or a CRF on
/// top. Sizes: word vectors d, capitalization 5, prefix and suffix 20 each; H per
/// direction; the output layer reads H or 2H.
struct RecurrentTagger<Scalar: TensorScalar>: Layer {
    let words: Embedding<Scalar>
    let capitals: Embedding<Scalar>
    let prefixes: Embedding<Scalar>
    let suffixes: Embedding<Scalar>
    /// Lample et al.'s spelling vectors, when the tagger has them.
    let spelling: CharacterEncoder<Scalar>?
    let forward: LSTMCell<Scalar>
    let backward: LSTMCell<Scalar>?
    let output: Linear<Scalar>
    /// With a CRF the output layer's scores are its emissions, and the tagger is trained
    /// on −log p(gold sequence) instead of each word's cross-entropy.
    let crf: LinearChainCRF<Scalar>?
    var dropout: Double

    init(features: TaggingFeatures, wordSize: Int, affixSize: Int = 20, hiddenSize: Int, bidirectional: Bool,
         crf: Bool = false, characterSize: Int? = nil, dropout: Double, name: String, using generator: inout SeededGenerator) {
        words = Embedding(vocabularySize: features.words.count, embeddingSize: wordSize, name: name, using: &generator)
        capitals = Embedding(table: Parameter("\(name).E_cap", .uniform([Capitalization.allCases.count, 5], bound: 0.1, using: &generator)))
        prefixes = Embedding(table: Parameter("\(name).E_pre", .uniform([features.prefixes.count, affixSize], bound: 0.1, using: &generator)))
        suffixes = Embedding(table: Parameter("\(name).E_suf", .uniform([features.suffixes.count, affixSize], bound: 0.1, using: &generator)))
        spelling = characterSize.map {
            CharacterEncoder(alphabetSize: features.characters.count, embeddingSize: $0, hiddenSize: $0, name: name, using: &generator)
        }
        let inputSize = wordSize + 5 + 2 * affixSize + (spelling?.outputSize ?? 0)
        forward = LSTMCell(inputSize: inputSize, hiddenSize: hiddenSize, name: bidirectional ? "\(name).fwd" : "\(name).lstm", using: &generator)
        backward = bidirectional ? LSTMCell(inputSize: inputSize, hiddenSize: hiddenSize, name: "\(name).bwd", using: &generator) : nil
        output = Linear(weight: Parameter("\(name).W_o", .glorot([features.tags.count, bidirectional ? 2 * hiddenSize : hiddenSize], using: &generator)),
                        bias: Parameter("\(name).b_o", .zeros([features.tags.count])))
        self.crf = crf ? LinearChainCRF(tags: features.tags.count, name: "\(name).crf") : nil
        self.dropout = dropout
    }

    var parameters: [Parameter<Scalar>] {
        words.parameters + capitals.parameters + prefixes.parameters + suffixes.parameters + (spelling?.parameters ?? [])
            + forward.parameters
            + (backward?.parameters ?? []) + output.parameters + (crf?.parameters ?? [])
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
        var parts = [
            words(timeMajor(\.words), on: tape, label: "E[w]"), capitals(timeMajor(\.capitals), on: tape, label: "E_cap[c]"),
            prefixes(timeMajor(\.prefixes), on: tape, label: "E_pre[p]"), suffixes(timeMajor(\.suffixes), on: tape, label: "E_suf[s]"),
        ]
        if let spelling { parts.append(spelling((0..<steps).flatMap { t in batch.map { $0.characters[t] } }, on: tape)) }
        var x = concatenate(columns: parts)
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

    /// The training loss of a batch, per word: the mean cross-entropy of each word's tag,
    /// or with a CRF Σ over sentences of −log p(gold tags | sentence), divided by the
    /// number of words.
    func loss(_ batch: [EncodedSentence], on tape: Tape<Scalar>, using generator: inout SeededGenerator) -> Variable<Scalar> {
        let scores = logits(batch, on: tape, training: true, using: &generator)
        guard let crf else { return softmaxCrossEntropy(logits: scores, labels: Self.labels(batch)) }
        let steps = batch[0].count
        let losses = batch.indices.map { i in
            crf.negativeLogLikelihood(gather(scores, rows: Self.rows(of: i, in: batch), label: "sentence \(i + 1)"), tags: batch[i].tags)
        }
        return losses.dropFirst().reduce(losses[0], +) * Scalar(1 / Double(batch.count * steps))
    }

    /// The time-major tag labels of a batch, as `logits` orders its rows.
    static func labels(_ batch: [EncodedSentence]) -> [Int] {
        (0..<batch[0].count).flatMap { t in batch.map { $0.tags[t] } }
    }

    /// The rows of sentence `i` of a batch in the time-major scores: i, B + i, 2B + i, …
    static func rows(of i: Int, in batch: [EncodedSentence]) -> [Int] {
        (0..<batch[i].count).map { $0 * batch.count + i }
    }
}

/*: ### Scoring whole tag sequences: the BiLSTM-CRF

 The softmax tagger decides every word alone, so nothing stops it from answering
 `O I-PER` (a name that continues without having begun). Chapter 1's repair keeps the
 word-level probabilities and only reads them differently: among the IOB2 sequences that
 are well formed, take the one with the largest Σₜ log ŷ⁽ᵗ⁾[yₜ]. The third tagger goes
 further and trains for the whole sequence (Lample et al. 2016 put it on a BiLSTM;
 Collobert et al. 2011 call it the sentence-level log-likelihood). Its output layer gives
 each word t a score for each tag j, the emission P⁽ᵗ⁾[j] (the softmax is dropped), and a
 learned table A scores each pair of neighbours: A[i, j] is the bonus, or the penalty, for
 tag j right after tag i (s[j] and e[j] do the same for the first and the last tag). A
 sequence y = y₁ … y_T of tags for a sentence x gets one score, and all Kᵀ sequences of
 K tags share one softmax:

 $$
 \begin{aligned}
 \mathrm{score}(x, y) &= s[y_1] + \sum_{t=1}^{T} P^{(t)}[y_t] + \sum_{t=2}^{T} A[y_{t-1}, y_t] + e[y_T] \\
 p(y \mid x) &= \frac{\exp \mathrm{score}(x, y)}{Z(x)}, \qquad Z(x) = \sum_{y'} \exp \mathrm{score}(x, y') \\
 J &= -\log p(y^{gold} \mid x) = \log Z(x) - \mathrm{score}(x, y^{gold})
 \end{aligned}
 $$

 Z has 9²⁰ terms for a 20-word sentence with CoNLL's nine tags, yet the score is a sum
 along a chain, so the sum factors. Let α⁽ᵗ⁾[j] be the log of the summed exp-scores of
 all tag prefixes y₁ … y_t that end in j. Then

 $$
 \alpha^{(1)}[j] = s[j] + P^{(1)}[j], \qquad
 \alpha^{(t)}[j] = P^{(t)}[j] + \log \sum_i \exp\big(\alpha^{(t-1)}[i] + A[i, j]\big), \qquad
 \log Z = \log \sum_j \exp\big(\alpha^{(T)}[j] + e[j]\big)
 $$

 T·K² steps instead of Kᵀ (the forward algorithm), each log Σ exp taken with its largest
 term pulled out so that nothing overflows. The gradient needs no new idea: ∂ log Z/∂P⁽ᵗ⁾[j]
 is the probability p(yₜ = j | x) that the model gives tag j at word t (a backward
 recursion β, the mirror of α, supplies it), so ∂J/∂P⁽ᵗ⁾[j] = p(yₜ = j | x) − [y⁽ᵍᵒˡᵈ⁾ₜ = j],
 what the model expects minus what the gold sequence has, and the same for each
 transition. It flows into both LSTMs like any other loss.

 To tag a sentence, the same recursion with max in place of log Σ exp, and a pointer
 kept to the best predecessor of every (t, j), gives the highest-scoring sequence (the
 Viterbi algorithm). Forbidding the transitions IOB2 rules out (I-X after O or after
 another type, or first) makes it the best well-formed sequence. What the CRF learns
 that Chapter 1's decoding cannot: how likely each legal pair is (B-PER → I-PER is
 common, B-ORG → B-ORG rare), weighed against the words' own scores.
*/

/// How a tagger's scores become tags.
enum TagDecoding {
    /// each word's highest-scoring tag, decided alone (IOB2 sequences may come out broken)
    case eachWord
    /// the well-formed IOB2 sequence with the largest Σ_t log softmax(scores_t)[y_t], as
    /// Chapter 1 decodes its window classifier
    case wellFormed
    /// the CRF's best well-formed sequence: Viterbi over emissions and learned transitions
    case crf
}

/// How a tagger trains.
struct TaggerSettings {
    var epochs = 5
    var batchSize = 32
    var learningRate: Float = 1e-3
    var clip = 5.0
    /// The probability of reading a word seen once in training as `<unk>`.
    var singletonDropout = 0.5
    var seed: UInt64 = 1
}

/// The tags of each sentence, decoded from the tagger's scores as `decoding` says.
func predictTags(_ tagger: RecurrentTagger<Float>, _ sentences: [EncodedSentence], features: TaggingFeatures,
                 decoding: TagDecoding) -> [[String]] {
    let k = features.tags.count
    // With no transition scores, Viterbi under the IOB2 rule maximizes Σ_t log p(y_t):
    // the decoder of Chapter 1.
    let noTransitions = LinearChainCRF<Float>(tags: k, name: "none")
    var out = [[String]](repeating: [], count: sentences.count)
    var unused = SeededGenerator(seed: 0)
    for batch in equalLengthBatches(sentences.map(\.count), batchSize: 256) {
        let tape = Tape<Float>()
        let members = batch.map { sentences[$0] }
        let y = tagger.logits(members, on: tape, using: &unused).value
        for (i, index) in batch.enumerated() {
            let rows = RecurrentTagger<Float>.rows(of: i, in: members).map { y.row($0) }
            let path: [Int]
            switch decoding {
            case .eachWord:
                path = rows.map { row in row.indices.max { row[$0] < row[$1] }! }
            case .wellFormed:
                let logProbabilities = rows.flatMap { row in
                    let top = row.max()!, logSum = top + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - top) })
                    return row.map { $0 - logSum }
                }
                path = noTransitions.viterbi(Tensor(shape: [rows.count, k], scalars: logProbabilities), allowed: features.allowed)
            case .crf:
                guard let crf = tagger.crf else { preconditionFailure("predictTags: CRF decoding of a tagger without a CRF") }
                path = crf.viterbi(Tensor(shape: [rows.count, k], scalars: rows.flatMap { $0 }), allowed: features.allowed)
            }
            out[index] = path.map { features.tags[$0] }
        }
    }
    return out
}

/// Trains with Adam on equal-length batches; after each epoch scores dev F1 and keeps the
/// parameters of the best epoch. Returns dev F1 per epoch. With `checkpoint`, saves after
/// every epoch and resumes bit for bit (``CheckpointedTraining``).
func trainTagger(
    _ tagger: RecurrentTagger<Float>, train: [EncodedSentence], dev: [EncodedSentence], devGold: [[String]],
    features: TaggingFeatures, decoding: TagDecoding, settings: TaggerSettings, label: String, checkpoint: Checkpointing? = nil
) throws -> [Double] {
    var run = try CheckpointedTraining(
        parameters: tagger.parameters, optimizer: Adam<Float>(learningRate: settings.learningRate),
        generator: SeededGenerator(seed: settings.seed), history: [Double](), checkpoint: checkpoint,
        format: "neural-nlp-course tagger checkpoint, version 1",
        identity: ["batch_size": "\(settings.batchSize)", "clip": "\(settings.clip)", "seed": "\(settings.seed)",
                   "singleton_dropout": "\(settings.singletonDropout)",
                   "tags": features.tags.joined(separator: " "), "train_sentences": "\(train.count)"])
    defer { Interruption.end() }
    let parameters = tagger.parameters
    for epoch in try run.epochs(upTo: settings.epochs) ?? 1...0 {
        run.startEpoch()
        let batches = equalLengthBatches(train.map(\.count), batchSize: settings.batchSize, shuffledBy: &run.generator)
        var progress = ProgressBar("\(label) epoch \(epoch)/\(settings.epochs)", total: batches.count)
        let (first, sums) = try run.resumePoint(sums: [0, 0])
        var total = sums[0], words = Int(sums[1])
        for (step, indices) in batches.enumerated().dropFirst(first) {
            var batch = indices.map { train[$0] }
            for i in batch.indices {
                for t in batch[i].words.indices where features.singletons.contains(batch[i].words[t])
                    && run.generator.nextUnit() < settings.singletonDropout {
                    batch[i].words[t] = features.words.unknownID
                }
            }
            let value = try trainingStep(parameters, optimizer: &run.optimizer, clip: settings.clip, epoch: epoch, step: step + 1) { tape in
                tagger.loss(batch, on: tape, using: &run.generator)
            }
            let n = batch.count * batch[0].count
            total += value * Double(n)
            words += n
            progress.update(step + 1, status: String(format: "loss %.4f", total / Double(words)))
            try run.stopIfInterrupted(epoch: epoch, step: step + 1, of: batches.count, sums: [total, Double(words)])
        }
        progress.finish()
        try TrainingError.checkFinite(parameters, epoch: epoch, step: batches.count)
        let f1 = EntityScores(gold: devGold, predicted: predictTags(tagger, dev, features: features, decoding: decoding)).overall.f1
        say(String(format: "  %@ epoch %d: training loss %.4f, dev F1 %.2f", label as NSString, epoch, total / Double(words), f1))
        run.history.append(f1)
        run.keepIfBest(f1)
        try run.endEpoch(epoch, steps: batches.count)
    }
    run.finish()
    return run.history
}
