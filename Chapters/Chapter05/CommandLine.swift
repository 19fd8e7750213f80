import ArgumentParser
import ChapterKit
import NeuralKit
import RecurrentLM

/// Chapter 5 on the command line: its options, checked before any work. What it runs is
/// `story(_:)`, between the set-up and the results that every chapter shares (`Chapter`).
@main
struct Chapter05: Chapter {
    static let configuration = CommandConfiguration(
        commandName: "Chapter05", abstract: "The RNN language model: truncated BPTT, clipping, perplexity, generation.")

    @OptionGroup var options: ChapterOptions

    @OptionGroup var checkpoints: CheckpointOptions

    @Option(help: "Training epochs (default: 4 on the Penn Treebank, 12 on the sample).")
    var epochs: Int?

    @Option(help: "Embedding size d.")
    var embeddingSize = 200

    @Option(help: "Hidden size H.")
    var hiddenSize = 200

    @Option(help: "The nonlinearity σ: tanh or sigmoid.")
    var activation = "tanh"

    @Option(help: "Sequences per batch (the stream is cut into this many columns).")
    var batchSize = 20

    @Option(help: "Steps of truncated backpropagation through time.")
    var bptt = 20

    @Option(help: "adam or sgd.")
    var optimizer = "adam"

    @Option(help: "Learning rate (default: 0.001 for Adam, 20 for SGD).")
    var learningRate: Float?

    @Option(help: "Clip the gradient's norm to this (0: no clipping).")
    var clip = 0.25

    @Option(help: "Dropout on the non-recurrent connections (embeddings in, h(t) up) while training.")
    var dropout = 0.25

    @Option(help: "Divide the learning rate by this when the validation perplexity does not improve.")
    var decay: Float = 4

    @Option(help: "OpenBLAS threads (the output layer runs its own two threads; more BLAS threads compete with them).")
    var blasThreads = 1

    @Option(help: "Train on the first this-many percent of the training text.")
    var trainPercent = 100

    @Option(help: "The prompt to generate from.")
    var prompt = "the"

    @Option(help: "Sampling temperature for generation.")
    var temperature = 1.0

    @Option(help: "Words to generate.")
    var words = 30

    func validate() throws {
        try OptionCheck.oneOf(activation, RecurrentActivation.allCases.map(\.rawValue), "--activation")
        try OptionCheck.oneOf(optimizer, RecurrentTrainingSettings.Method.allCases.map(\.rawValue), "--optimizer")
        try OptionCheck.atLeast(1, epochs, "--epochs")
        try OptionCheck.atLeast(1, embeddingSize, "--embedding-size")
        try OptionCheck.atLeast(1, hiddenSize, "--hidden-size")
        try OptionCheck.atLeast(1, batchSize, "--batch-size")
        try OptionCheck.atLeast(1, bptt, "--bptt")
        if let learningRate { try OptionCheck.positive(learningRate, "--learning-rate") }
        try OptionCheck.nonNegative(clip, "--clip")
        try OptionCheck.dropout(dropout, "--dropout")
        try OptionCheck.atLeast(1, decay, "--decay")
        try OptionCheck.atLeast(1, blasThreads, "--blas-threads")
        try OptionCheck.within(1...100, trainPercent, "--train-percent")
        try OptionCheck.positive(temperature, "--temperature")
        try OptionCheck.atLeast(0, words, "--words")
        try checkMemory(vocabularySize: 10_000)
    }

    /// E (|V| × d), W_h (H × H), W_e (H × d), U (|V| × H): refused up front with PTB's |V|,
    /// and again with the corpus's own |V| once it is read.
    func checkMemory(vocabularySize v: Int) throws {
        let (d, h, v) = (Double(embeddingSize), Double(hiddenSize), Double(v))
        try OptionCheck.fitsInMemory(scalars: v * d + h * h + h * d + v * h + v + h,
                                     what: "The RNN language model", options: "--embedding-size or --hidden-size")
        // a window's scores, probabilities and their gradient: B × T × |V| each
        try OptionCheck.fitsInMemory(scalars: Double(batchSize) * Double(bptt) * (v + d + h), copies: 3,
                                     what: "One window of the RNN language model", options: "--batch-size or --bptt")
    }
}

/// The results are what `--json FILE` writes, with the run's total time.
extension Results: ChapterResults {}
