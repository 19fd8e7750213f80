import NeuralKit
import TextData

/*: ## The model

 The fixed-window neural language model of Bengio et al. (2003), as the slides draw it:

 $$
 \begin{aligned}
 e &= [e^{(1)}; e^{(2)}; e^{(3)}; e^{(4)}] && \text{the previous four words' embeddings, concatenated} \\
 h &= f(We + b_1) && f = \tanh \\
 \hat{y} &= \operatorname{softmax}(Uh + b_2) \in \mathbb{R}^{|V|} && \text{a distribution over the whole vocabulary}
 \end{aligned}
 $$

 A batch of B windows is a (B × 4) matrix of word ids; e is (B × 4d), h is (B × H), ŷ is
 (B × |V|).
*/
struct WindowLanguageModel<Scalar: TensorScalar> {
    static var window: Int { 4 }

    let embedding: Embedding<Scalar>
    let hidden: Linear<Scalar>
    let output: Linear<Scalar>

    init(vocabularySize: Int, embeddingSize: Int, hiddenSize: Int, using generator: inout SeededGenerator) {
        embedding = Embedding(vocabularySize: vocabularySize, embeddingSize: embeddingSize, name: "lm", using: &generator)
        hidden = Linear(
            weight: Parameter("lm.W", .glorot([hiddenSize, Self.window * embeddingSize], using: &generator)),
            bias: Parameter("lm.b1", .zeros([hiddenSize])))
        output = Linear(
            weight: Parameter("lm.U", .glorot([vocabularySize, hiddenSize], using: &generator)),
            bias: Parameter("lm.b2", .zeros([vocabularySize])))
    }

    var parameters: [Parameter<Scalar>] { embedding.parameters + hidden.parameters + output.parameters }

    /// |V|·d + H·4d + H + |V|·H + |V|: fixed by the vocabulary and the sizes, whatever the
    /// length of the corpus.
    static func parameterCount(vocabularySize v: Int, embeddingSize d: Int, hiddenSize h: Int) -> Int {
        v * d + h * window * d + h + v * h + v
    }

    /// h = tanh(W e + b₁) (B × H) of windows given as ids, `window` per row, with dropout
    /// at `rate` on e and on h (training).
    func hiddenLayer(_ contexts: [Int], on tape: Tape<Scalar>, dropout rate: Double,
                     using generator: inout SeededGenerator) -> Variable<Scalar> {
        // BEGIN SOLUTION ch4-window-forward
        let count = contexts.count / Self.window
        let e = reshape(embedding(contexts, on: tape), to: [count, Self.window * embedding.embeddingSize])
        return dropout(tanh(hidden(dropout(e, rate: rate, using: &generator))), rate: rate, using: &generator)
        // END SOLUTION
    }

    /// The scores U h + b₂ (B × |V|) of windows given as ids, `window` per row.
    func logits(_ contexts: [Int], on tape: Tape<Scalar>, dropout rate: Double = 0,
                using generator: inout SeededGenerator) -> Variable<Scalar> {
        output(hiddenLayer(contexts, on: tape, dropout: rate, using: &generator))
    }

    /// J, the mean cross-entropy of `targets`, for training: the output layer, softmax and
    /// loss as Chapter 5's one fused op (`linearSoftmaxCrossEntropy`: the same J as
    /// `softmaxCrossEntropy(logits:labels:)` up to rounding, a test checks it; at
    /// |V| = 10,000 it is what the step spends its time on).
    func loss(_ contexts: [Int], targets: [Int], on tape: Tape<Scalar>, dropout rate: Double,
              using generator: inout SeededGenerator) -> Variable<Scalar> {
        linearSoftmaxCrossEntropy(hiddenLayer(contexts, on: tape, dropout: rate, using: &generator),
                                  weight: tape.parameter(output.weight), bias: output.bias.map(tape.parameter), labels: targets)
    }

    func logits(_ contexts: [Int], on tape: Tape<Scalar>) -> Variable<Scalar> {
        var unused = SeededGenerator(seed: 0)
        return logits(contexts, on: tape, dropout: 0, using: &unused)
    }

    /// ŷ for each window (B × |V|).
    func distribution(_ contexts: [Int]) -> Tensor<Scalar> {
        softmax(logits(contexts, on: Tape())).value
    }
}

/// Every predicted token of a corpus with its window of the previous four tokens; the
/// first words of a sentence see `<s>` in the positions before the sentence.
struct Windows {
    var contexts: [Int] = []
    var targets: [Int] = []

    init(_ corpus: IndexedCorpus) {
        let w = WindowLanguageModel<Float>.window
        for sentence in corpus.sentences {
            let line = [Int](repeating: corpus.startID, count: w) + sentence + [corpus.endID]
            for t in w..<line.count {
                contexts += line[(t - w)..<t]
                targets.append(line[t])
            }
        }
    }

    var count: Int { targets.count }
}
