import NeuralKit

/// The Deep Averaging Network of Iyyer et al. (2015): average the sentence's word vectors,
/// pass the average through feed-forward layers, classify with a softmax.
/// ```
/// av = (1/|s|) Σ_{w ∈ s} E[w]
/// h₁ = f(W₁ av + b₁),  h₂ = f(W₂ h₁ + b₂),  ŷ = softmax(W_s h₂ + b_s)
/// ```
/// E is (V × d), W₁ (H × d), W₂ (H × H), W_s (C × H); f is ReLU.
///
/// Word dropout (the paper's variant of dropout): while training, each word of a
/// sentence is left out of the average with probability `wordDropout` (at least one word
/// is always kept), so the network cannot lean on any single word.
public struct DeepAveragingNetwork<Scalar: TensorScalar>: Layer {
    public let embedding: Embedding<Scalar>
    public let hidden: [Linear<Scalar>]
    public let output: Linear<Scalar>
    public var wordDropout: Double

    public init(vocabularySize: Int, embeddingSize: Int, hiddenSize: Int, layers: Int = 2, classes: Int,
                wordDropout: Double = 0.3, name: String = "dan", using generator: inout SeededGenerator) {
        precondition(layers >= 1, "a DAN needs at least one hidden layer")
        embedding = Embedding(vocabularySize: vocabularySize, embeddingSize: embeddingSize, name: name, using: &generator)
        hidden = (1...layers).map { i in
            Linear(weight: Parameter("\(name).W\(i)", .glorot([hiddenSize, i == 1 ? embeddingSize : hiddenSize], using: &generator)),
                   bias: Parameter("\(name).b\(i)", .zeros([hiddenSize])))
        }
        output = Linear(weight: Parameter("\(name).W_s", .glorot([classes, hiddenSize], using: &generator)),
                        bias: Parameter("\(name).b_s", .zeros([classes])))
        self.wordDropout = wordDropout
    }

    public var parameters: [Parameter<Scalar>] { embedding.parameters + hidden.flatMap(\.parameters) + output.parameters }

    /// The (batch × d) averages of the sentences' word vectors.
    public func average(_ sentences: [[Int]], on tape: Tape<Scalar>) -> Variable<Scalar> {
        segmentMean(embedding(sentences.flatMap { $0 }, on: tape, label: "embed"), lengths: sentences.map(\.count))
    }

    /// Word dropout: each sentence with each word left out with probability `wordDropout`,
    /// in order; a sentence that would lose every word keeps one of them, drawn uniformly.
    public func keptWords(_ sentences: [[Int]], using generator: inout SeededGenerator) -> [[Int]] {
        guard wordDropout > 0 else { return sentences }
        var kept = sentences
        for (i, sentence) in sentences.enumerated() {
            let draws = sentence.map { _ in generator.nextUnit() >= wordDropout }
            let survivors = zip(sentence, draws).filter(\.1).map(\.0)
            kept[i] = survivors.isEmpty ? [sentence[generator.nextInt(below: sentence.count)]] : survivors
        }
        return kept
    }

    public func logits(_ sentences: [[Int]], on tape: Tape<Scalar>, training: Bool, using generator: inout SeededGenerator) -> Variable<Scalar> {
        var h = average(training ? keptWords(sentences, using: &generator) : sentences, on: tape)
        for layer in hidden { h = relu(layer(h)) }
        return output(h)
    }
}

extension DeepAveragingNetwork: SentenceClassifier where Scalar == Float {
    /// Word dropout is the model's own setting: a resumed run must use the same rate.
    public var trainingIdentity: [String: String] { ["word_dropout": "\(wordDropout)"] }
}
