import ArgumentParser
import ChapterKit

/// Chapter 4 on the command line: its options, checked before any work. What it runs is
/// `story(_:)`, between the set-up and the results that every chapter shares (`Chapter`).
@main
struct Chapter04: Chapter {
    static let configuration = CommandConfiguration(
        commandName: "Chapter04", abstract: "A fixed-window neural language model (Bengio et al. 2003).")

    @OptionGroup var options: ChapterOptions

    @OptionGroup var checkpoints: CheckpointOptions

    @Option(help: "Training epochs (default: 2 on the Penn Treebank, 6 on the sample).")
    var epochs: Int?

    @Option(help: "Embedding size d.")
    var embeddingSize = 100

    @Option(help: "Hidden layer size H.")
    var hiddenSize = 200

    @Option(help: "Adam's learning rate.")
    var learningRate: Float = 1e-3

    @Option(help: "Dropout on e and h while training.")
    var dropout = 0.2

    @Option(help: "OpenBLAS threads (the output layer runs its own two threads).")
    var blasThreads = 1

    @Option(help: "Train on the first this-many percent of the training sentences.")
    var trainPercent = 100

    @Option(help: "Mini-batch size.")
    var batchSize = 256

    func validate() throws {
        try OptionCheck.atLeast(1, epochs, "--epochs")
        try OptionCheck.atLeast(1, embeddingSize, "--embedding-size")
        try OptionCheck.atLeast(1, hiddenSize, "--hidden-size")
        try OptionCheck.positive(learningRate, "--learning-rate")
        try OptionCheck.dropout(dropout, "--dropout")
        try OptionCheck.atLeast(1, blasThreads, "--blas-threads")
        try OptionCheck.within(1...100, trainPercent, "--train-percent")
        try OptionCheck.atLeast(1, batchSize, "--batch-size")
        try checkMemory(vocabularySize: 10_000)
    }

    /// E (|V| × d), W (H × 4d), U (|V| × H): refused up front with PTB's |V|, and again
    /// with the corpus's own |V| once it is read.
    func checkMemory(vocabularySize v: Int) throws {
        let (d, h, v) = (Double(embeddingSize), Double(hiddenSize), Double(v))
        try OptionCheck.fitsInMemory(scalars: v * d + 4 * d * h + v * h + v + h,
                                     what: "The window language model", options: "--embedding-size or --hidden-size")
        // a batch's scores, probabilities and their gradient: B × |V| each
        try OptionCheck.fitsInMemory(scalars: Double(batchSize) * (v + 4 * d + h), copies: 3,
                                     what: "One batch of the window language model", options: "--batch-size")
    }
}

/// The results are what `--json FILE` writes, with the run's total time.
extension Results: ChapterResults {}
