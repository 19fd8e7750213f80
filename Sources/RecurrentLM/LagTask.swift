import Foundation
import NeuralKit

/// A memory task with a controlled lag: the first token of a sequence is one of
/// `signals` symbols; then come `lag` distractor tokens drawn at random from another
/// `distractors` symbols; after the last one the model must name the first token.
/// Nothing between carries any information about the answer, so a model can only
/// succeed by keeping it in its state for `lag` steps. Chance is 1 / signals.
public struct LagTask: Sendable {
    public let lag: Int
    public let signals: Int
    public let distractors: Int

    public init(lag: Int, signals: Int = 4, distractors: Int = 8) {
        self.lag = lag
        self.signals = signals
        self.distractors = distractors
    }

    /// Ids 0 ..< signals are the signals, the next `distractors` ids the distractors.
    public var vocabularySize: Int { signals + distractors }

    /// A batch: inputs time-major (`inputs[t][b]`, lag + 1 steps) and each sequence's answer.
    public func batch(_ size: Int, using generator: inout SeededGenerator) -> (inputs: [[Int]], answers: [Int]) {
        let answers = (0..<size).map { _ in generator.nextInt(below: signals) }
        var inputs = [answers]
        for _ in 0..<lag { inputs.append((0..<size).map { _ in signals + generator.nextInt(below: distractors) }) }
        return (inputs, answers)
    }
}

/// A recurrent classifier for the lag task: embeddings, a recurrent cell over the whole
/// sequence, and a softmax over the signals from the last hidden state.
public struct SequenceClassifier<Cell: RecurrentCell>: Layer {
    public typealias Scalar = Cell.Scalar
    public let embedding: Embedding<Scalar>
    public let cell: Cell
    public let output: Linear<Scalar>
    /// How the cell runs over the sequence: ``WindowRun/wholeWindow`` (the default: an
    /// LSTM's or GRU's whole-window kernel) or ``WindowRun/stepByStep`` (its readable
    /// `step`, once per time step). The same numbers either way.
    public var recurrence: WindowRun = .wholeWindow

    public init(vocabularySize: Int, embeddingSize: Int, cell: Cell, classes: Int, name: String,
                using generator: inout SeededGenerator) {
        embedding = Embedding(vocabularySize: vocabularySize, embeddingSize: embeddingSize, name: name, bound: 1, using: &generator)
        self.cell = cell
        output = Linear(inputSize: cell.hiddenSize, outputSize: classes, name: "\(name).out", using: &generator)
    }

    public var parameters: [Parameter<Scalar>] { embedding.parameters + cell.parameters + output.parameters }

    /// The logits (B × classes) after reading `inputs` (time-major) from the zero state.
    public func logits(_ inputs: [[Int]], on tape: Tape<Scalar>) -> Variable<Scalar> {
        let batch = inputs[0].count
        let projected = cell.projectInputs(embedding(inputs.flatMap { $0 }, on: tape))
        let final = cell.window(projected: projected, steps: inputs.count, state: cell.state(cell.zeroState(batchSize: batch), on: tape),
                                run: recurrence).state
        return output(final.hidden)
    }
}

extension SequenceClassifier where Scalar == Float {
    /// Trains with Adam and clipping for `updates` batches; returns the accuracy on
    /// `testSize` fresh sequences.
    public func trainAndTest(
        on task: LagTask, updates: Int, batchSize: Int = 32, learningRate: Float = 0.003, clip: Double = 1,
        testSize: Int = 1000, using generator: inout SeededGenerator
    ) throws -> Double {
        var optimizer = Adam<Float>(learningRate: learningRate)
        let parameters = self.parameters
        for step in 0..<updates {
            let (inputs, answers) = task.batch(batchSize, using: &generator)
            let value: Float = {
                let tape = Tape<Float>()
                let loss = softmaxCrossEntropy(logits: logits(inputs, on: tape), labels: answers)
                tape.backward(from: loss)
                return loss.value.scalar
            }()
            guard value.isFinite else { throw LagTaskError.nonFinite(lag: task.lag, step: step + 1) }
            let norm = clipGradientNorm(parameters, threshold: clip)
            guard norm.isFinite else { throw LagTaskError.nonFiniteGradient(lag: task.lag, step: step + 1, norm: norm) }
            optimizer.step(parameters)
            parameters.zeroGradients()
        }
        // A last step can leave NaN in the parameters with a finite loss: no accuracy then.
        for p in parameters where !p.value.scalars.allSatisfy(\.isFinite) {
            throw LagTaskError.nonFiniteParameter(lag: task.lag, step: updates, name: p.name)
        }
        var correct = 0
        for start in stride(from: 0, to: testSize, by: 250) {
            let (inputs, answers) = task.batch(min(250, testSize - start), using: &generator)
            let scores = logits(inputs, on: Tape()).value
            for (row, answer) in answers.enumerated() {
                let predicted = (0..<scores.columns).max { scores[row, $0] < scores[row, $1] }!
                if predicted == answer { correct += 1 }
            }
        }
        return Double(correct) / Double(testSize)
    }
}

public enum LagTaskError: Error, CustomStringConvertible {
    case nonFinite(lag: Int, step: Int)
    case nonFiniteGradient(lag: Int, step: Int, norm: Double)
    case nonFiniteParameter(lag: Int, step: Int, name: String)
    public var description: String {
        switch self {
        case .nonFinite(let lag, let step): return "lag task (k = \(lag)): the loss became NaN or infinite at update \(step)"
        case .nonFiniteGradient(let lag, let step, let norm):
            return "lag task (k = \(lag)): the gradient's norm became \(norm) at update \(step)"
        case .nonFiniteParameter(let lag, let step, let name):
            return "lag task (k = \(lag)): parameter \(name) became NaN or infinite (after update \(step))"
        }
    }
}
