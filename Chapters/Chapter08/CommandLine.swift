import ArgumentParser
import ChapterKit

/// Chapter 8 on the command line: its options, checked before any work. What it runs is
/// `story(_:)`, between the set-up and the results that every chapter shares (`Chapter`).
@main
struct Chapter08: Chapter {
    static let configuration = CommandConfiguration(
        commandName: "Chapter08", abstract: "GRU: the cell, and the RNN / LSTM / GRU comparison, measured.")

    @OptionGroup var options: ChapterOptions

    @OptionGroup var checkpoints: CheckpointOptions

    @Option(help: "Language models: epochs each (default: 1 on the Penn Treebank, 8 on the sample).")
    var epochs: Int?

    @Option(help: "Language models: hidden size (and embedding size) (default: 200 on the Penn Treebank, 128 on the sample).")
    var hidden: Int?

    @Option(help: "Lags of the memory task, comma-separated.")
    var lags = "20,100"

    @Option(help: "Memory task: updates per model and lag.")
    var lagUpdates = 400

    @Option(help: "OpenBLAS threads (the output layer runs its own two threads).")
    var blasThreads = 1

    func validate() throws {
        try OptionCheck.atLeast(1, epochs, "--epochs")
        try OptionCheck.atLeast(1, hidden, "--hidden")
        try OptionCheck.positiveList(lags, "--lags", example: "20,50,100")
        try OptionCheck.atLeast(1, lagUpdates, "--lag-updates")
        try OptionCheck.atLeast(1, blasThreads, "--blas-threads")
        try checkMemory(vocabularySize: 10_000)
    }

    /// The language models' hidden size: `--hidden`, else 200 on the Penn Treebank and 128
    /// on the sample.
    var hiddenSize: Int { hidden ?? (options.dataDir == nil ? 128 : 200) }

    /// Three LMs (RNN, GRU, LSTM: at most 4 gates of H × 2H) with |V| × H embeddings and
    /// output. Refused up front with PTB's |V|, and again with the corpus's own |V| once read.
    func checkMemory(vocabularySize v: Int) throws {
        let (h, v) = (Double(hiddenSize), Double(v))
        try OptionCheck.fitsInMemory(scalars: 4 * h * (2 * h + 1) + 2 * v * h + v,
                                     what: "The language models", options: "--hidden")
    }
}

/// The results are what `--json FILE` writes, with the run's total time.
extension Results: ChapterResults {}
