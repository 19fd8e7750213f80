import NeuralKit
import TextData

/*: ## The window classifier

 With x the window vector, the slides' binary classifier for "is the centre word a
 location?" is

 $$
 \begin{aligned}
 h &= f(Wx + b) && W \in \mathbb{R}^{H \times 5d},\; b \in \mathbb{R}^{H},\; f = \tanh \\
 s &= u^\top h && u \in \mathbb{R}^{H} \\
 J &= \sigma(s) = \frac{1}{1 + e^{-s}}
 \end{aligned}
 $$

 J is the model's probability that the centre word is a location. The multi-class
 version keeps x and h and replaces u by a matrix U with one row per tag; a softmax turns
 the C scores into a distribution over tags:

 $$
 \begin{aligned}
 \hat{y} &= \operatorname{softmax}(Uh + c) \in \mathbb{R}^{C}
 \end{aligned}
 $$

 Both are one `WindowClassifier`: `classes == 1` is the binary one (u, no bias).
 A batch of B windows is a (B × 5d) matrix, one window per row.
*/
struct WindowClassifier<Scalar: TensorScalar> {
    let words: Embedding<Scalar>
    let capitalization: Embedding<Scalar>
    let prefixes: Embedding<Scalar>
    let suffixes: Embedding<Scalar>
    let hidden: Linear<Scalar>
    let output: Linear<Scalar>

    struct Sizes {
        var words: Int
        var prefixes: Int
        var suffixes: Int
        var wordEmbedding = 50
        var capitalizationEmbedding = 5
        var prefixEmbedding = 20
        var suffixEmbedding = 20
        var hidden = 300
        var classes: Int

        /// d, the size of one word's vector.
        var wordVector: Int { wordEmbedding + capitalizationEmbedding + prefixEmbedding + suffixEmbedding }
        /// 5d, the size of the window vector x.
        var window: Int { WindowFeatures.width * wordVector }
    }

    init(_ sizes: Sizes, using generator: inout SeededGenerator) {
        words = Embedding(vocabularySize: sizes.words, embeddingSize: sizes.wordEmbedding, name: "words", using: &generator)
        capitalization = Embedding(
            vocabularySize: Capitalization.allCases.count, embeddingSize: sizes.capitalizationEmbedding,
            name: "caps", using: &generator)
        prefixes = Embedding(
            vocabularySize: sizes.prefixes, embeddingSize: sizes.prefixEmbedding, name: "prefixes", using: &generator)
        suffixes = Embedding(
            vocabularySize: sizes.suffixes, embeddingSize: sizes.suffixEmbedding, name: "suffixes", using: &generator)
        hidden = Linear(inputSize: sizes.window, outputSize: sizes.hidden, name: "ner", using: &generator)
        if sizes.classes == 1 {
            // s = uᵀh: one output row, named u as on the slide, and no bias.
            output = Linear(
                weight: Parameter("ner.u", .glorot([1, sizes.hidden], using: &generator)), bias: nil)
        } else {
            output = Linear(
                weight: Parameter("ner.U", .glorot([sizes.classes, sizes.hidden], using: &generator)),
                bias: Parameter("ner.c", .zeros([sizes.classes])))
        }
    }

    var parameters: [Parameter<Scalar>] {
        words.parameters + capitalization.parameters + prefixes.parameters + suffixes.parameters + hidden.parameters + output.parameters
    }

    /// x: each word's [word; caps; prefix; suffix] vector, five per window, laid side by side.
    /// (B windows) → (B × 5d).
    func windowVectors(_ batch: WindowBatch, on tape: Tape<Scalar>) -> Variable<Scalar> {
        let perWord = concatenate(columns: [
            words(batch.words, on: tape),
            capitalization(batch.capitalization, on: tape),
            prefixes(batch.prefixes, on: tape),
            suffixes(batch.suffixes, on: tape),
        ])  // (5B × d)
        let d = perWord.shape[1]
        return reshape(perWord, to: [batch.count, WindowFeatures.width * d])
    }

    /// The scores: s = uᵀ tanh(Wx + b) (B × 1), or U tanh(Wx + b) + c (B × C).
    func scores(_ batch: WindowBatch, on tape: Tape<Scalar>) -> Variable<Scalar> {
        output(tanh(hidden(windowVectors(batch, on: tape))))
    }

    /// The same scores while training, with dropout on x and on h (`rate` of each is
    /// zeroed at random) so the network cannot lean on any single feature.
    func scores(
        _ batch: WindowBatch, on tape: Tape<Scalar>, dropout rate: Double, using generator: inout SeededGenerator
    ) -> Variable<Scalar> {
        let x = dropout(windowVectors(batch, on: tape), rate: rate, using: &generator)
        let h = dropout(tanh(hidden(x)), rate: rate, using: &generator)
        return output(h)
    }

    /// Class probabilities of every window: σ(s) for the binary model, softmax otherwise.
    func probabilities(_ batch: WindowBatch) -> Tensor<Scalar> {
        let tape = Tape<Scalar>()
        let s = scores(batch, on: tape)
        return (s.shape[1] == 1 ? sigmoid(s) : softmax(s)).value
    }
}
