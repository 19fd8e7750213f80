import ArgumentParser
import ChapterKit

/// Chapter 6 on the command line: its options, checked before any work. What it runs is
/// `story(_:)`, between the set-up and the results that every chapter shares (`Chapter`).
@main
struct Chapter06: Chapter {
    static let configuration = CommandConfiguration(
        commandName: "Chapter06", abstract: "Vanishing and exploding gradients, gradient clipping, residual connections.")

    @OptionGroup var options: ChapterOptions

    @Option(help: "Hidden size of the RNN whose gradient norms are measured.")
    var hiddenSize = 32

    @Option(help: "Steps T of that RNN.")
    var steps = 30

    @Option(help: "Scale of that RNN's inputs (small: nearly linear; large: tanh saturates).")
    var inputScale = 0.05

    @Option(help: "SGD learning rate of the clipping experiment.")
    var explosionLearningRate: Float = 10

    @Option(help: "Weights of the deep stack: Gaussian with standard deviation this / √width.")
    var residualWeightScale = 0.7

    func validate() throws {
        try OptionCheck.atLeast(1, hiddenSize, "--hidden-size")
        try OptionCheck.atLeast(1, steps, "--steps")
        try OptionCheck.positive(inputScale, "--input-scale")
        try OptionCheck.positive(explosionLearningRate, "--explosion-learning-rate")
        try OptionCheck.positive(residualWeightScale, "--residual-weight-scale")
        // one H × H Jacobian per step is kept to multiply out
        try OptionCheck.fitsInMemory(scalars: Double(hiddenSize) * Double(hiddenSize) * (Double(steps) + 2), bytesPerScalar: 8,
                                     copies: 2, what: "The gradient-norm experiment", options: "--hidden-size or --steps")
    }
}

/// The results are what `--json FILE` writes, with the run's total time.
extension Results: ChapterResults {}
