import ArgumentParser
import ChapterKit

/// Chapter 7 on the command line: its options, checked before any work. What it runs is
/// `story(_:)`, between the set-up and the results that every chapter shares (`Chapter`).
@main
struct Chapter07: Chapter {
    static let configuration = CommandConfiguration(
        commandName: "Chapter07", abstract: "LSTM: the cell, indefinite memory, lag experiment, LSTM language model.")

    @OptionGroup var options: ChapterOptions

    @OptionGroup var checkpoints: CheckpointOptions

    @Option(help: "Lags k of the memory experiment, comma-separated.")
    var lags = "5,10,20,50,100,200"

    @Option(help: "Hidden size of the memory experiment's RNN and LSTM.")
    var lagHidden = 32

    @Option(help: "Training updates (batches of 32) per model and lag.")
    var lagUpdates = 100

    @Option(help: "Initial forget-gate bias of the memory experiment's LSTM (σ(b) is how much it keeps per step at first).")
    var lagForgetBias = 3.0

    @Option(help: "Adam's learning rate in the memory experiment.")
    var lagLearningRate: Float = 0.003

    @Option(help: "Language model: training epochs (default: 2 on the Penn Treebank, 8 on the sample).")
    var epochs: Int?

    @Option(help: "Language model: stacked LSTM layers.")
    var layers = 2

    @Option(name: .customLong("hidden"),
            help: "Language model: hidden size (and embedding size) (default: 200 on the Penn Treebank, 100 on the sample).")
    var hiddenOption: Int?

    @Option(name: .customLong("learning-rate"), help: """
        Language model: SGD learning rate on the mean loss (default: 20 on the Penn Treebank, Zaremba et al.'s 1 \
        on a loss summed over 20 steps; 15 on the sample).
        """)
    var learningRateOption: Float?

    @Option(help: "Language model: clip the gradient's norm to this (0.25 here = Zaremba et al.'s 5).")
    var clip = 0.25

    @Option(help: "Language model: keep the learning rate for this many epochs, then halve it after each.")
    var decayAfter = 4

    @Option(help: "Also train Chapter 5's one-layer RNN language model with the same settings, for comparison.")
    var compareRNN = false

    @Option(help: "OpenBLAS threads (the output layer runs its own two threads).")
    var blasThreads = 1

    @Option(help: """
        Billion-word section: the adaptive softmax's cutoffs c₁ < c₂ < …, comma-separated, below |V| \
        (default: 2000 on the Penn Treebank, Grave et al.'s setting; half the vocabulary on a smaller one), \
        or 'none' to skip training the adaptive-softmax model.
        """)
    var adaptiveCutoffs: String?

    func validate() throws {
        try OptionCheck.positiveList(lags, "--lags", example: "5,10,20")
        try OptionCheck.atLeast(1, lagHidden, "--lag-hidden")
        try OptionCheck.atLeast(1, lagUpdates, "--lag-updates")
        try OptionCheck.finite(lagForgetBias, "--lag-forget-bias")
        try OptionCheck.positive(lagLearningRate, "--lag-learning-rate")
        try OptionCheck.atLeast(1, epochs, "--epochs")
        try OptionCheck.atLeast(1, layers, "--layers")
        try OptionCheck.atLeast(1, hiddenOption, "--hidden")
        try OptionCheck.positive(learningRateOption ?? 1, "--learning-rate")
        try OptionCheck.nonNegative(clip, "--clip")
        try OptionCheck.atLeast(0, decayAfter, "--decay-after")
        try OptionCheck.atLeast(1, blasThreads, "--blas-threads")
        if let adaptiveCutoffs, adaptiveCutoffs != "none" {
            let cutoffs = try OptionCheck.positiveList(adaptiveCutoffs, "--adaptive-cutoffs", example: "2000 or 2000,20000")
            guard zip(cutoffs, cutoffs.dropFirst()).allSatisfy({ $0 < $1 }) else {
                throw ValidationError("--adaptive-cutoffs must increase (got \"\(adaptiveCutoffs)\")")
            }
        }
        try checkMemory(vocabularySize: 10_000)
    }

    /// Each LSTM layer has 4 gates of H × (H + H) weights; E and U are |V| × H. Refused up
    /// front with PTB's |V|, and again with the corpus's own |V| once it is read.
    func checkMemory(vocabularySize v: Int) throws {
        let (h, v) = (Double(hidden), Double(v))
        try OptionCheck.fitsInMemory(scalars: Double(layers) * 4 * h * (2 * h + 1) + 2 * v * h + v,
                                     what: "The LSTM language model", options: "--hidden or --layers")
        try OptionCheck.fitsInMemory(scalars: 4 * Double(lagHidden) * (2 * Double(lagHidden) + 1),
                                     what: "The memory experiment's LSTM", options: "--lag-hidden")
    }
}

/// The parsed options are only read once the run starts, so the memory experiment's
/// trainings can share them from both cores.
extension Chapter07: @unchecked Sendable {}

/// The results are what `--json FILE` writes, with the run's total time.
extension Results: ChapterResults {}
