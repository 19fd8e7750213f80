import ChapterKit
import Classifiers
import Foundation
import NeuralKit

/*: ## 3 · The RNN as an encoder: normalizing dates

 An RNN's final state can stand for a whole input, and another network can be built on
 it. Here a second LSTM, the decoder, starts from the encoder's final state (h⁽ᵀ⁾, c⁽ᵀ⁾)
 and writes the answer one character at a time, each step reading the character it
 wrote before:

 $$
 \begin{aligned}
 \text{encoder:}\quad (h^{(t)}, c^{(t)}) &= \mathrm{LSTM}_{enc}\big(E_{src}[x^{(t)}], h^{(t-1)}, c^{(t-1)}\big), \quad t = 1 \dots T \\
 \text{decoder:}\quad (s^{(0)}, m^{(0)}) &= (h^{(T)}, c^{(T)}) \\
 (s^{(u)}, m^{(u)}) &= \mathrm{LSTM}_{dec}\big(E_{tgt}[y^{(u-1)}], s^{(u-1)}, m^{(u-1)}\big), \quad y^{(0)} = \langle s \rangle \\
 P\big(y^{(u)} \mid y^{(<u)}, x\big) &= \operatorname{softmax}\big(W_o s^{(u)} + b_o\big)
 \end{aligned}
 $$

 The task can be checked by eye: a date written in words, in one of five styles,
 becomes ISO 8601. "the third of april 1989" → 1989-04-03. Numbers are read digit by
 digit, so the network must learn to copy the year's digits and to turn "april" and
 "third" into 04 and 03. Training feeds the decoder the true previous character
 (teacher forcing); testing feeds it its own, and counts an answer right only when all
 ten characters are.
 <!-- output: 3 · An LSTM encoder -->
 <!-- output: Results -->
*/

/// One example of the date task: the written date and its ISO form, as tokens.
struct DateExample: Equatable {
    var source: [String]
    var target: [String]  // the ten characters of yyyy-mm-dd
}

enum DateTask {
    static let months = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
                         "october", "november", "december"]
    static let ordinals = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
                           "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
                           "eighteenth", "nineteenth", "twentieth", "twenty-first", "twenty-second", "twenty-third",
                           "twenty-fourth", "twenty-fifth", "twenty-sixth", "twenty-seventh", "twenty-eighth",
                           "twenty-ninth", "thirtieth", "thirty-first"]
    static let start = "<s>", end = "</s>"

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func digits(_ n: Int) -> [String] { String(n).map(String.init) }

    /// The date written in `style` (0 ... 4), and its ISO form.
    static func example(year: Int, month: Int, day: Int, style: Int) -> DateExample {
        let name = months[month - 1]
        let source: [String]
        switch style {
        case 0: source = ["the", ordinals[day - 1], "of", name] + digits(year)          // the third of april 1989
        case 1: source = [name] + digits(day) + [","] + digits(year)                    // april 3 , 1989
        case 2: source = digits(day) + [name] + digits(year)                            // 3 april 1989
        case 3: source = [String(name.prefix(3))] + digits(day) + [suffix(day)] + digits(year)  // apr 3 rd 1989
        default: source = digits(year) + [name] + digits(day)                           // 1989 april 3
        }
        let iso = String(format: "%04d-%02d-%02d", year, month, day)
        return DateExample(source: source, target: iso.map(String.init))
    }

    static func suffix(_ day: Int) -> String {
        if (11...13).contains(day % 100) { return "th" }
        switch day % 10 {
        case 1: return "st"
        case 2: return "nd"
        case 3: return "rd"
        default: return "th"
        }
    }

    /// `count` random dates between 1900 and 2099, in random styles.
    static func examples(_ count: Int, using generator: inout SeededGenerator) -> [DateExample] {
        (0..<count).map { _ in
            let year = 1900 + generator.nextInt(below: 200), month = 1 + generator.nextInt(below: 12)
            let day = 1 + generator.nextInt(below: daysIn(month: month, year: year))
            return example(year: year, month: month, day: day, style: generator.nextInt(below: 5))
        }
    }

    /// Every source token any example can have, and the target characters.
    static let sourceVocabulary: [String] = {
        let all = ["<unk>", "the", "of", ","] + ordinals + months + months.map { String($0.prefix(3)) }
            + ["st", "nd", "rd", "th"] + (0...9).map(String.init)
        var seen = Set<String>()
        return all.filter { seen.insert($0).inserted }  // "may" is its own abbreviation
    }()
    static let targetVocabulary: [String] = [start, end, "-"] + (0...9).map(String.init)
}

/// The encoder–decoder of the slides' "RNN as an encoder module".
struct EncoderDecoder<Scalar: TensorScalar>: Layer {
    let sourceEmbedding: Embedding<Scalar>
    let encoder: LSTMCell<Scalar>
    let targetEmbedding: Embedding<Scalar>
    let decoder: LSTMCell<Scalar>
    let output: Linear<Scalar>
    /// How the encoder and the teacher-forced decoder run over their sequences: the cells'
    /// readable `step` at every t (as the figure draws it), or ``WindowRun/wholeWindow``,
    /// the same arithmetic as one op per sequence (`LSTMWindowKernel`, tested against
    /// `step` bit for bit), which training uses.
    var recurrence: WindowRun = .wholeWindow

    init(sourceVocabulary: Int, targetVocabulary: Int, embeddingSize: Int, hiddenSize: Int, using generator: inout SeededGenerator) {
        sourceEmbedding = Embedding(table: Parameter("E_src", .uniform([sourceVocabulary, embeddingSize], bound: 0.1, using: &generator)))
        encoder = LSTMCell(inputSize: embeddingSize, hiddenSize: hiddenSize, name: "enc", using: &generator)
        targetEmbedding = Embedding(table: Parameter("E_tgt", .uniform([targetVocabulary, embeddingSize], bound: 0.1, using: &generator)))
        decoder = LSTMCell(inputSize: embeddingSize, hiddenSize: hiddenSize, name: "dec", using: &generator)
        output = Linear(weight: Parameter("W_o", .glorot([targetVocabulary, hiddenSize], using: &generator)),
                        bias: Parameter("b_o", .zeros([targetVocabulary])))
    }

    var parameters: [Parameter<Scalar>] {
        sourceEmbedding.parameters + encoder.parameters + targetEmbedding.parameters + decoder.parameters + output.parameters
    }

    /// The encoder's final (h, c) for a batch of sources of one length.
    func encode(_ sources: [[Int]], on tape: Tape<Scalar>) -> LSTMState<Scalar> {
        let steps = sources[0].count
        precondition(sources.allSatisfy { $0.count == steps }, "EncoderDecoder: a batch needs sources of one length")
        let x = sourceEmbedding((0..<steps).flatMap { t in sources.map { $0[t] } }, on: tape, label: "E_src[x]")
        if recurrence == .stepByStep { return encoder.unroll(x, steps: steps)[steps - 1] }  // the readable `step` at every t
        return encoder.window(projected: encoder.projectInputs(x), steps: steps,
                              state: encoder.state(encoder.zeroState(batchSize: sources.count), on: tape), run: recurrence).state
    }

    /// Mean cross-entropy of the targets (each ending in </s>) with teacher forcing.
    func loss(sources: [[Int]], targets: [[Int]], startID: Int, on tape: Tape<Scalar>) -> Variable<Scalar> {
        let length = targets[0].count
        let inputs = targets.map { [startID] + $0.dropLast() }
        let y = targetEmbedding((0..<length).flatMap { u in inputs.map { $0[u] } }, on: tape, label: "E_tgt[y]")
        let hidden: Variable<Scalar>  // h(1) … h(length), stacked
        if recurrence == .stepByStep {
            let states = decoder.unroll(y, steps: length, from: encode(sources, on: tape)).map(\.hidden)
            hidden = length == 1 ? states[0] : concatenate(rows: states)
        } else {
            hidden = decoder.window(projected: decoder.projectInputs(y), steps: length, state: encode(sources, on: tape),
                                    run: recurrence).outputs
        }
        let logits = output(hidden)
        return softmaxCrossEntropy(logits: logits, labels: (0..<length).flatMap { u in targets.map { $0[u] } })
    }

    /// Greedy decoding: each step feeds back the most probable character, until every
    /// answer has ended or `maxLength` characters are written.
    func decode(_ sources: [[Int]], startID: Int, endID: Int, maxLength: Int) -> [[Int]] {
        let tape = Tape<Scalar>()
        var state = encode(sources, on: tape)
        var previous = [Int](repeating: startID, count: sources.count)
        var answers = [[Int]](repeating: [], count: sources.count)
        var finished = [Bool](repeating: false, count: sources.count)
        for _ in 0..<maxLength where !finished.allSatisfy({ $0 }) {
            state = decoder(targetEmbedding(previous, on: tape), state: state)
            let logits = output(state.hidden).value
            for b in sources.indices {
                let row = logits.row(b)
                previous[b] = row.indices.max { row[$0] < row[$1] }!
                if !finished[b] {
                    if previous[b] == endID { finished[b] = true } else { answers[b].append(previous[b]) }
                }
            }
        }
        return answers
    }
}

/// The outcome of the date experiment.
struct DateResults: Encodable {
    var trainExamples = 0
    var testExamples = 0
    var exactMatch = 0.0
    var exactMatchPerEpoch: [Double] = []
    var examples: [String] = []
}

/// Trains the encoder–decoder on random dates and measures exact match on held-out ones.
func trainDates(trainCount: Int, testCount: Int, epochs: Int, hiddenSize: Int, seed: UInt64, quiet: Bool = false,
                checkpoint: Checkpointing? = nil) throws
    -> (model: EncoderDecoder<Float>, results: DateResults) {
    var generator = SeededGenerator(seed: seed)
    let train = DateTask.examples(trainCount, using: &generator)
    // held-out dates: none of them occurs in training, in any style
    let seen = Set(train.map(\.target))
    var test: [DateExample] = []
    while test.count < testCount {
        test += DateTask.examples(testCount - test.count, using: &generator).filter { !seen.contains($0.target) }
    }
    let source = Dictionary(uniqueKeysWithValues: DateTask.sourceVocabulary.enumerated().map { ($1, $0) })
    let target = Dictionary(uniqueKeysWithValues: DateTask.targetVocabulary.enumerated().map { ($1, $0) })
    let startID = target[DateTask.start]!, endID = target[DateTask.end]!
    func sourceIDs(_ e: DateExample) -> [Int] { e.source.map { source[$0] ?? 0 } }
    func targetIDs(_ e: DateExample) -> [Int] { e.target.map { target[$0]! } + [endID] }
    let model = EncoderDecoder<Float>(sourceVocabulary: DateTask.sourceVocabulary.count,
                                      targetVocabulary: DateTask.targetVocabulary.count, embeddingSize: 32,
                                      hiddenSize: hiddenSize, using: &generator)
    let parameters = model.parameters
    var results = DateResults(trainExamples: trainCount, testExamples: testCount)
    let testSources = test.map(sourceIDs)
    func exactMatch() -> (Double, [[Int]]) {
        var answers = [[Int]](repeating: [], count: test.count)
        for batch in equalLengthBatches(testSources.map(\.count), batchSize: 256) {
            let decoded = model.decode(batch.map { testSources[$0] }, startID: startID, endID: endID, maxLength: 12)
            for (i, index) in batch.enumerated() { answers[index] = decoded[i] }
        }
        let right = zip(answers, test).filter { $0.map { DateTask.targetVocabulary[$0] } == $1.target }.count
        return (100 * Double(right) / Double(max(test.count, 1)), answers)
    }
    // From here on the generator only orders the batches: it is saved with each checkpoint.
    var run = try CheckpointedTraining(
        parameters: parameters, optimizer: Adam<Float>(learningRate: 3e-3), generator: generator, history: [Double](),
        checkpoint: checkpoint, format: "neural-nlp-course date encoder-decoder checkpoint, version 1",
        identity: ["train_examples": "\(trainCount)", "test_examples": "\(testCount)", "seed": "\(seed)"])
    defer { Interruption.end() }
    for epoch in try run.epochs(upTo: epochs) ?? 1...0 {
        run.startEpoch()
        let batches = equalLengthBatches(train.map(\.source.count), batchSize: 32, shuffledBy: &run.generator)
        var progress = ProgressBar("encoder–decoder epoch \(epoch)/\(epochs)", total: batches.count)
        let (first, sums) = try run.resumePoint(sums: [0])
        var total = sums[0]
        for (step, batch) in batches.enumerated().dropFirst(first) {
            let value = try trainingStep(parameters, optimizer: &run.optimizer, clip: 5, epoch: epoch, step: step + 1) { tape in
                model.loss(sources: batch.map { sourceIDs(train[$0]) }, targets: batch.map { targetIDs(train[$0]) },
                           startID: startID, on: tape)
            }
            total += value
            if !quiet { progress.update(step + 1, status: String(format: "loss %.4f", total / Double(step + 1))) }
            try run.stopIfInterrupted(epoch: epoch, step: step + 1, of: batches.count, sums: [total])
        }
        if !quiet { progress.finish() }
        try TrainingError.checkFinite(parameters, epoch: epoch, step: batches.count)
        let (match, _) = exactMatch()
        run.history.append(match)
        if !quiet { say(String(format: "  epoch %d: training loss %.4f, test exact match %.1f%%", epoch, total / Double(batches.count), match)) }
        try run.endEpoch(epoch, steps: batches.count)
    }
    run.finish()
    results.exactMatchPerEpoch = run.history
    let (match, answers) = exactMatch()
    results.exactMatch = match
    results.examples = (0..<min(6, test.count)).map { i in
        let answer = answers[i].map { DateTask.targetVocabulary[$0] }.joined()
        return "\(test[i].source.joined(separator: " ")) → \(answer)\(answer == test[i].target.joined() ? "" : "   ✗ (\(test[i].target.joined()))")"
    }
    return (model, results)
}
