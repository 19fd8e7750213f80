import ArgumentParser
import ChapterKit

/// Chapter 2 on the command line: its options, checked before any work. What it runs is
/// `story(_:)`, between the set-up and the results that every chapter shares (`Chapter`).
@main
struct Chapter02: Chapter {
    static let configuration = CommandConfiguration(
        commandName: "Chapter02", abstract: "Deep Averaging Network: sentence sentiment from averaged word vectors.")

    @OptionGroup var options: ChapterOptions

    @OptionGroup var checkpoints: CheckpointOptions

    @Option(help: "Training epochs (default: 6 on the treebank, 12 on the sample).")
    var epochs: Int?

    @Option(help: "Size of the word vectors (d).")
    var embedding = 300

    @Option(help: "Size of each hidden layer (H).")
    var hidden = 300

    @Option(help: "Hidden layers between the average and the softmax.")
    var layers = 2

    @Option(help: "Word dropout: the probability of leaving a word out of the average while training.")
    var wordDropout = 0.3

    @Option(help: "Adam's learning rate.")
    var learningRate: Float = 1e-3

    @Option(help: "Sentences per mini-batch.")
    var batchSize = 32

    @Option(help: "Train on every labelled phrase of the training trees (as Iyyer et al. do), or on whole sentences only.")
    var trainOn: TrainingUnits = .phrases

    func validate() throws {
        try OptionCheck.atLeast(1, epochs, "--epochs")
        try OptionCheck.atLeast(1, embedding, "--embedding")
        try OptionCheck.atLeast(1, hidden, "--hidden")
        try OptionCheck.atLeast(1, layers, "--layers")
        try OptionCheck.dropout(wordDropout, "--word-dropout")
        try OptionCheck.positive(learningRate, "--learning-rate")
        try OptionCheck.atLeast(1, batchSize, "--batch-size")
        // E (|V| × d, the treebank's |V| is about 17,000), the first layer H × d, the others H × H
        let (d, h) = (Double(embedding), Double(hidden))
        try OptionCheck.fitsInMemory(scalars: 17_000 * d + h * d + Double(layers - 1) * h * h + 5 * h,
                                     what: "The Deep Averaging Network", options: "--embedding, --hidden or --layers")
    }
}

/// The results are what `--json FILE` writes, with the run's total time.
extension Results: ChapterResults {}
