import Classifiers
import NeuralKit

/*: ## 2 · Sentence classification: sentiment

 To classify a whole sentence, an RNN reads it and one vector summarizes the reading.
 Three common summaries of the hidden states h⁽¹⁾ … h⁽ᵀ⁾:

 $$
 \begin{aligned}
 \text{last:}\quad s &= h^{(T)} && \text{the state after the final word} \\
 \text{mean:}\quad s &= \frac{1}{T} \sum_{t} h^{(t)} && \text{every step's state, averaged} \\
 \text{max:}\quad s_j &= \max_{t} h^{(t)}_j && \text{each unit's strongest reading} \\
 \hat{y} &= \operatorname{softmax}(W_s s + b_s)
 \end{aligned}
 $$

 Unlike Chapter 2's average of word vectors, every h⁽ᵗ⁾ depends on the words before it,
 so "not good" and "good not" are different inputs.
 <!-- output: 2 · Sentence classification -->
*/

/// How the classifier turns the hidden states into one sentence vector.
enum Pooling: String, CaseIterable, Sendable {
    case last, mean, max
}

/// An LSTM reads the sentence; the pooled hidden states go through a softmax layer.
struct LSTMSentenceClassifier<Scalar: TensorScalar>: Layer {
    let embedding: Embedding<Scalar>
    let cell: LSTMCell<Scalar>
    let output: Linear<Scalar>
    let pooling: Pooling
    var dropout: Double

    init(vocabularySize: Int, embeddingSize: Int, hiddenSize: Int, classes: Int, pooling: Pooling, dropout: Double,
         name: String, using generator: inout SeededGenerator) {
        embedding = Embedding(vocabularySize: vocabularySize, embeddingSize: embeddingSize, name: name, using: &generator)
        cell = LSTMCell(inputSize: embeddingSize, hiddenSize: hiddenSize, name: "\(name).lstm", using: &generator)
        output = Linear(weight: Parameter("\(name).W_s", .glorot([classes, hiddenSize], using: &generator)),
                        bias: Parameter("\(name).b_s", .zeros([classes])))
        self.pooling = pooling
        self.dropout = dropout
    }

    var parameters: [Parameter<Scalar>] { embedding.parameters + cell.parameters + output.parameters }

    /// Class scores for a batch of sentences of one length: (B × classes).
    func scores(_ sentences: [[Int]], on tape: Tape<Scalar>, training: Bool, using generator: inout SeededGenerator) -> Variable<Scalar> {
        let steps = sentences[0].count
        precondition(sentences.allSatisfy { $0.count == steps }, "LSTMSentenceClassifier: a batch needs sentences of one length")
        var x = embedding((0..<steps).flatMap { t in sentences.map { $0[t] } }, on: tape, label: "E[w]")
        if training { x = NeuralKit.dropout(x, rate: dropout, using: &generator) }
        let states = cell.unroll(x, steps: steps).map(\.hidden)  // the readable `step` at every t
        var s: Variable<Scalar>
        switch pooling {
        case .last: s = states[steps - 1]
        case .mean: s = states.dropFirst().reduce(states[0], +) * Scalar(1 / Double(steps))
        case .max: s = states.dropFirst().reduce(states[0], maximum)
        }
        if training { s = NeuralKit.dropout(s, rate: dropout, using: &generator) }
        return output(s)
    }
}

extension LSTMSentenceClassifier: SentenceClassifier where Scalar == Float {
    func logits(_ sentences: [[Int]], on tape: Tape<Float>, training: Bool, using generator: inout SeededGenerator) -> Variable<Float> {
        scores(sentences, on: tape, training: training, using: &generator)
    }
}
