import ArgumentParser
import ChapterKit

/// Chapter 1 on the command line: its options, checked before any work. What it runs is
/// `story(_:)`, between the set-up and the results that every chapter shares (`Chapter`).
@main
struct Chapter01: Chapter {
    static let configuration = CommandConfiguration(
        commandName: "Chapter01",
        abstract: "Named-entity recognition by window classification (binary and softmax).")

    @OptionGroup var options: ChapterOptions

    @OptionGroup var checkpoints: CheckpointOptions

    @Option(help: "Training epochs on CoNLL-2003 (with --data-dir).")
    var epochs = 6

    @Option(help: "Hidden layer size H.")
    var hidden = 300

    @Option(help: "Adam's learning rate (CoNLL-2003 training).")
    var learningRate: Float = 5e-4

    @Option(help: "Dropout rate on the window vector x and the hidden layer h while training on CoNLL-2003.")
    var dropout = 0.5

    @Option(help: "Probability of replacing a training word by <unk> (CoNLL-2003 training).")
    var wordDropout = 0.0

    @Option(help: "Words and suffixes seen fewer times than this in CoNLL-2003 train share the <unk> vector.")
    var minimumCount = 2

    func validate() throws {
        try OptionCheck.atLeast(1, epochs, "--epochs")
        try OptionCheck.atLeast(1, hidden, "--hidden")
        try OptionCheck.positive(learningRate, "--learning-rate")
        try OptionCheck.dropout(dropout, "--dropout")
        try OptionCheck.dropout(wordDropout, "--word-dropout")
        try OptionCheck.atLeast(1, minimumCount, "--minimum-count")
        // W is H × (5 words × at most a few hundred features each), U is 9 × H
        try OptionCheck.fitsInMemory(scalars: Double(hidden) * 5 * 300, what: "The window classifier", options: "--hidden")
    }
}

/// The results are what `--json FILE` writes, with the run's total time.
extension Results: ChapterResults {}
